// Access to the real Ceph RGW that tools/gateway-start.sh started for the
// gateway and e2e tests: its endpoints and test keys come from the
// environment file it writes (GWSYNC_TEST_*). A missing gateway fails the
// test instead of skipping it, so a broken setup can never pass silently.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "http/event_loop.h"
#include "s3/client.h"

namespace gwsync::testing {

struct TestGateway {
  std::vector<std::string> endpoints;
  std::vector<std::string> admin_sockets;  // one per endpoint, same order
  std::string access_key;
  std::string secret_key;

  // Reads the environment once; fails the calling test when it is missing.
  static const TestGateway& Get();
  s3::ClientOptions Options(size_t endpoint = 0,
                            s3::SignatureVersion sig = s3::SignatureVersion::kV4) const;
};

// A bucket name no other test or run uses: "gwt-<what>-<pid>-<n>".
std::string UniqueBucketName(const std::string& what);

// Deterministic pseudo-random bytes.
std::string RandomBytes(size_t n, uint64_t seed);

// A scratch folder removed (with its contents) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& data);

// A transport and client for the test gateway, and a bucket created for the
// test and removed (with everything in it) afterwards.
class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  const s3::Client& client() const { return *client_; }
  std::unique_ptr<s3::Client> MakeClient(const s3::ClientOptions& options) const {
    return std::make_unique<s3::Client>(transport_.get(), options);
  }
  // Creates another bucket removed at TearDown.
  std::string NewBucket(const std::string& what);

  std::string bucket_;
  std::unique_ptr<http::CurlTransport> transport_;
  std::unique_ptr<s3::Client> client_;

 private:
  std::vector<std::string> buckets_;
};

}  // namespace gwsync::testing
