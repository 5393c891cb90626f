// Several radosgw processes on one cluster: requests spread over all of
// them (counted by each gateway itself), a sync survives one being killed
// or hung, and a gateway that comes back gets traffic again. These tests
// stop and start gateway "b" only; other tests use "a" and "c".
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/gateway.h"
#include "sync/sync.h"

namespace gwsync::gateway {
namespace {

using gwsync::testing::GatewayTest;
using gwsync::testing::ReadFile;
using gwsync::testing::TempDir;
using gwsync::testing::TestGateway;
using gwsync::testing::WriteFile;
namespace fs = std::filesystem;

// The gateway's own count of PUT requests (radosgw admin socket perf dump).
long GatewayPuts(const std::string& asok) {
  std::string cmd = "ceph --admin-daemon " + asok + " perf dump 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  pclose(p);
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded() || !j.contains("rgw")) return -1;
  return j["rgw"]["put"].get<long>();
}

std::string RgwDir() {
  const char* d = std::getenv("GWSYNC_TEST_RGW_DIR");
  return d ? d : "";
}

int GatewayPid(const std::string& name) {
  std::ifstream in(RgwDir() + "/pids/client.rgw." + name + ".pid");
  int pid = 0;
  in >> pid;
  return pid;
}

std::string RestartB() {
  return std::string(GWSYNC_TOOLS_DIR) + "/gateway-start.sh --dir " + RgwDir() +
         " --restart-gateway b >/dev/null 2>&1";
}

// Restarts gateway b however the test ends.
struct RestoreB {
  ~RestoreB() {
    kill(GatewayPid("b"), SIGCONT);
    EXPECT_EQ(std::system(RestartB().c_str()), 0) << RestartB();
  }
};

class PoolTest : public GatewayTest {
 protected:
  void SetUp() override {
    GatewayTest::SetUp();
    const TestGateway& gw = TestGateway::Get();
    ASSERT_GE(gw.endpoints.size(), 3u)
        << "these tests need three gateways (tools/test.sh starts them)";
    s3::ClientOptions o = gw.Options();
    for (size_t i = 1; i < gw.endpoints.size(); ++i) {
      o.more_endpoints.push_back(*s3::ParseEndpoint(gw.endpoints[i]));
    }
    o.stall_timeout = std::chrono::seconds(2);
    o.connect_timeout = std::chrono::milliseconds(1000);
    pooled_ = MakeClient(o);
  }

  sync::SyncReport Upload(const std::string& dir, const std::string& prefix) {
    sync::Location src, dst;
    src.path = dir;
    dst.kind = sync::Location::Kind::kRemote;
    dst.client = pooled_.get();
    dst.bucket = bucket_;
    dst.prefix = prefix;
    sync::SyncOptions options;
    options.concurrency = 24;
    auto r = sync::RunSync(src, dst, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : sync::SyncReport{};
  }

  void MakeFiles(const std::string& dir, int n) {
    for (int i = 0; i < n; ++i) {
      WriteFile(dir + "/f" + std::to_string(i),
                "object " + std::to_string(i) + std::string(2000, 'x'));
    }
  }

  void ExpectAllThere(const std::string& prefix, int n) {
    for (int i = 0; i < n; ++i) {
      auto head = s3::Wait<s3::ObjectHead>(
          [&](auto done) { client().HeadObject(bucket_, prefix + "f" + std::to_string(i), done); });
      ASSERT_TRUE(head.ok()) << prefix << i << ": " << head.status().ToString();
    }
  }

  std::unique_ptr<s3::Client> pooled_;
};

TEST_F(PoolTest, RequestsSpreadOverEveryGateway) {
  const TestGateway& gw = TestGateway::Get();
  ASSERT_EQ(gw.admin_sockets.size(), gw.endpoints.size());
  std::vector<long> before;
  for (const auto& asok : gw.admin_sockets) before.push_back(GatewayPuts(asok));
  TempDir dir;
  MakeFiles(dir.path(), 300);
  sync::SyncReport r = Upload(dir.path(), "spread/");
  EXPECT_TRUE(r.errors.empty());
  for (size_t i = 0; i < gw.admin_sockets.size(); ++i) {
    long puts = GatewayPuts(gw.admin_sockets[i]) - before[i];
    EXPECT_GE(puts, 50) << "gateway " << gw.endpoints[i] << " got " << puts << " of 300 PUTs";
  }
  auto stats = pooled_->EndpointStats();
  ASSERT_EQ(stats.size(), 3u);
  for (const auto& s : stats) EXPECT_GE(s.requests, 50u) << s.name;
}

TEST_F(PoolTest, SyncCompletesWhenAGatewayIsKilledAndUsesItAgainWhenBack) {
  RestoreB restore;
  TempDir dir;
  MakeFiles(dir.path(), 400);
  std::thread killer([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    kill(GatewayPid("b"), SIGKILL);
  });
  auto start = std::chrono::steady_clock::now();
  sync::SyncReport r = Upload(dir.path(), "killed/");
  killer.join();
  std::printf("sync with a killed gateway: %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  EXPECT_TRUE(r.errors.empty());
  ExpectAllThere("killed/", 400);
  auto stats = pooled_->EndpointStats();
  EXPECT_GT(stats[1].down_events, 0u) << "gateway b was never seen down";

  // Back up: it takes requests again once its down time has passed.
  ASSERT_EQ(std::system(RestartB().c_str()), 0);
  uint64_t b_before = pooled_->EndpointStats()[1].requests;
  // Down endpoints are probed again within 5 s.
  std::this_thread::sleep_for(std::chrono::milliseconds(5500));
  TempDir more;
  MakeFiles(more.path(), 150);
  Upload(more.path(), "after/");
  EXPECT_GT(pooled_->EndpointStats()[1].requests, b_before + 10);
}

TEST_F(PoolTest, HungGatewayTimesOutAndItsRequestsMoveElsewhere) {
  RestoreB restore;
  ASSERT_EQ(kill(GatewayPid("b"), SIGSTOP), 0);
  TempDir dir;
  MakeFiles(dir.path(), 200);
  auto start = std::chrono::steady_clock::now();
  sync::SyncReport r = Upload(dir.path(), "hung/");
  auto took = std::chrono::steady_clock::now() - start;
  kill(GatewayPid("b"), SIGCONT);
  EXPECT_TRUE(r.errors.empty());
  ExpectAllThere("hung/", 200);
  auto stats = pooled_->EndpointStats();
  EXPECT_GT(stats[1].timeouts, 0u);
  EXPECT_LT(took, std::chrono::seconds(60));
}

}  // namespace
}  // namespace gwsync::gateway
