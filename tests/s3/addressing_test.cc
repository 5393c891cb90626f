// Path-style or virtual-host: which URL a request goes to when s3cmd's
// host_bucket asks for bucket.HOST addressing.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "s3/client.h"
#include "s3/url.h"

namespace gwsync::s3 {
namespace {

Endpoint At(const std::string& url) { return *ParseEndpoint(url); }

TEST(VirtualHostAddressableTest, DnsNamesOnAHostName) {
  Endpoint gw = At("http://rgw.example:7480");
  for (const char* b : {"registry", "db-wal", "abc", "backups.2024", "0x1"}) {
    EXPECT_TRUE(VirtualHostAddressable(b, gw)) << b;
  }
  EXPECT_TRUE(VirtualHostAddressable(std::string(63, 'a'), gw));
}

TEST(VirtualHostAddressableTest, NamesThatCannotBeDnsLabelsGoPathStyle) {
  Endpoint gw = At("http://rgw.example:7480");
  for (const char* b : {"db_wal", "Registry", "ab", "-lead", "trail-", "a..b", "a.-b", "a-.b",
                        ".dot", "dot.", "sp ace"}) {
    EXPECT_FALSE(VirtualHostAddressable(b, gw)) << b;
  }
  EXPECT_FALSE(VirtualHostAddressable(std::string(64, 'a'), gw));
}

TEST(VirtualHostAddressableTest, IpAddressEndpointsGoPathStyle) {
  EXPECT_FALSE(VirtualHostAddressable("registry", At("http://127.0.0.1:7480")));
  EXPECT_FALSE(VirtualHostAddressable("registry", At("10.0.0.5")));
  EXPECT_FALSE(VirtualHostAddressable("registry", At("http://[::1]:7480")));
  EXPECT_TRUE(VirtualHostAddressable("registry", At("http://localhost:7480")));
}

TEST(VirtualHostAddressableTest, DottedNamesOverHttpsGoPathStyle) {
  EXPECT_FALSE(VirtualHostAddressable("backups.2024", At("https://rgw.example")));
  EXPECT_TRUE(VirtualHostAddressable("backups-2024", At("https://rgw.example")));
}

// Answers every request with an empty 200 at once and keeps its URL.
class RecordingTransport final : public http::Transport {
 public:
  void Send(http::Request request, http::Callback done) override {
    {
      std::lock_guard lock(mu_);
      urls_.push_back(request.url);
    }
    http::Response r;
    r.status = 200;
    done(std::move(r));
  }
  void Post(std::chrono::milliseconds, http::TimerCallback fn) override { fn(Status::Ok()); }
  std::string Last() {
    std::lock_guard lock(mu_);
    return urls_.empty() ? "" : urls_.back();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> urls_;
};

// The URL of a HEAD of `key` in `bucket`, with virtual-host addressing asked for.
std::string UrlFor(const std::string& endpoint, const std::string& bucket, const std::string& key,
                   SignatureVersion sig = SignatureVersion::kV4) {
  RecordingTransport transport;
  ClientOptions o;
  o.endpoint = At(endpoint);
  o.credentials = {"AKIAEXAMPLE", "secret", ""};
  o.signature = sig;
  o.virtual_host = true;
  Client client(&transport, o);
  if (key.empty()) {
    EXPECT_TRUE(WaitStatus([&](auto done) { client.HeadBucket(bucket, done); }).ok());
  } else {
    EXPECT_TRUE(Wait<ObjectHead>([&](auto done) { client.HeadObject(bucket, key, done); }).ok());
  }
  return transport.Last();
}

TEST(ClientAddressingTest, EachRequestPicksItsOwnStyle) {
  EXPECT_EQ(UrlFor("http://rgw.example:7480", "registry", "blobs/a"),
            "http://registry.rgw.example:7480/blobs/a");
  EXPECT_EQ(UrlFor("http://rgw.example:7480", "registry", ""), "http://registry.rgw.example:7480/");
  EXPECT_EQ(UrlFor("http://rgw.example:7480", "db_wal", "node1/0001"),
            "http://rgw.example:7480/db_wal/node1/0001");
  EXPECT_EQ(UrlFor("http://127.0.0.1:7480", "registry", "blobs/a"),
            "http://127.0.0.1:7480/registry/blobs/a");
  EXPECT_EQ(UrlFor("http://127.0.0.1:7480", "db_wal", "k", SignatureVersion::kV2),
            "http://127.0.0.1:7480/db_wal/k");
}

}  // namespace
}  // namespace gwsync::s3
