// The owners of a transport tear it down before what its callbacks use: a
// request still in flight when a command ends (the abort `put` sends after a
// failed multipart upload, not awaited) completes exactly once, with
// kCancelled, into a client that is still there (under ASan: no
// heap-use-after-free).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "api/gateway_impl.h"
#include "gwsync/gateway.h"
#include "session/session.h"
#include "support/loopback_server.h"

namespace gwsync::api {
namespace {

using gwsync::testing::LoopbackServer;
using std::chrono::milliseconds;

struct Aborted {
  std::atomic<int> calls{0};
  std::atomic<StatusCode> code{StatusCode::kOk};
};

// What transfer::internal::AbortLater does: an abort whose answer nobody waits for.
void AbortLater(const s3::Client& client, Aborted* aborted) {
  client.AbortMultipartUpload("b", "k", "upload-id", [aborted](Status s) {
    aborted->code = s.code();
    aborted->calls.fetch_add(1);
  });
}

TEST(OwnerShutdownTest, GatewayWithAnAbortInFlight) {
  LoopbackServer server(LoopbackServer::Silent());
  GatewayOptions options;
  options.endpoints = {"http://" + server.host()};
  options.access_key = "AK";
  options.secret_key = "SK";
  options.config_file = "/dev/null";
  Aborted aborted;
  {
    auto gateway = Gateway::Open(options);
    ASSERT_TRUE(gateway.ok()) << gateway.status().ToString();
    AbortLater(GatewayAccess::Client(**gateway), &aborted);
    ASSERT_TRUE(server.WaitForRequests(1, milliseconds(5000)));
  }
  EXPECT_EQ(aborted.calls.load(), 1);
  EXPECT_EQ(aborted.code.load(), StatusCode::kCancelled);
}

TEST(OwnerShutdownTest, SessionClusterWithAnAbortInFlight) {
  LoopbackServer server(LoopbackServer::Silent());
  session::ClusterOptions cluster;
  cluster.client.endpoint = *s3::ParseEndpoint("http://" + server.host());
  cluster.client.credentials.access_key = "AK";
  cluster.client.credentials.secret_key = "SK";
  session::IndexOptions no_index;
  no_index.enabled = false;
  Aborted aborted;
  {
    session::Session session(cluster, {}, no_index);
    auto client = session.ClientFor("");
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    AbortLater(**client, &aborted);
    ASSERT_TRUE(server.WaitForRequests(1, milliseconds(5000)));
  }
  EXPECT_EQ(aborted.calls.load(), 1);
  EXPECT_EQ(aborted.code.load(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace gwsync::api
