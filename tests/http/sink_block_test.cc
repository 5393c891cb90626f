// A large response body bound for a sink reaches it in blocks of at least
// kSinkBlock (not curl's 16 KiB a call), the rest at the end of the
// exchange; a sink that fails on that rest fails the exchange, and a small
// body is not held back at all.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "http/event_loop.h"
#include "http/exchange.h"
#include "support/loopback_server.h"

namespace gwsync::http {
namespace {

using gwsync::testing::LoopbackServer;
using internal::kLargeBody;
using internal::kSinkBlock;

// Records the size of each write; fails write number `fail_at` (from 0).
class CountingSink final : public BodySink {
 public:
  Status Write(std::string_view data) override {
    if (writes.size() == fail_at) return DataLoss("the disk is full");
    writes.push_back(data.size());
    total += data.size();
    return Status::Ok();
  }
  std::vector<size_t> writes;
  uint64_t total = 0;
  size_t fail_at = SIZE_MAX;
};

Response Get(LoopbackServer& server, std::shared_ptr<BodySink> sink, uint64_t max_body) {
  auto transport = CurlTransport::Create();
  EXPECT_TRUE(transport.ok());
  Request r;
  r.url = server.url();
  r.sink = std::move(sink);
  r.max_body = max_body;
  auto done = std::make_shared<std::promise<Response>>();
  auto future = done->get_future();
  (*transport)->Send(std::move(r), [done](Response got) { done->set_value(std::move(got)); });
  if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    ADD_FAILURE() << "no answer within 30 s";
    return Response{};
  }
  return future.get();
}

TEST(SinkBlockTest, ALargeBodyReachesTheSinkInBlocks) {
  const uint64_t size = 6 * kSinkBlock + 5;
  LoopbackServer server({.body_bytes = size});
  auto sink = std::make_shared<CountingSink>();
  Response got = Get(server, sink, size);
  ASSERT_TRUE(got.transport.ok()) << got.transport.ToString();
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(sink->total, size);
  ASSERT_FALSE(sink->writes.empty());
  EXPECT_LE(sink->writes.size(), 7u);
  for (size_t i = 0; i + 1 < sink->writes.size(); ++i) EXPECT_GE(sink->writes[i], kSinkBlock) << i;
  EXPECT_GT(sink->writes.back(), 0u) << "no empty write at the end";
}

// What is left under a block is written when the exchange ends: here all of
// it, a body of a range announced larger than what came.
TEST(SinkBlockTest, TheRestIsWrittenAtTheEnd) {
  LoopbackServer server({.body_bytes = 100 << 10});
  auto sink = std::make_shared<CountingSink>();
  Response got = Get(server, sink, kLargeBody);
  ASSERT_TRUE(got.transport.ok()) << got.transport.ToString();
  EXPECT_EQ(sink->writes, (std::vector<size_t>{100 << 10}));
}

// Below kLargeBody the bytes go on as curl hands them (16 KiB at most):
// nothing is held in memory for a small object.
TEST(SinkBlockTest, ASmallerBodyIsNotHeldBack) {
  const uint64_t size = 200 << 10;
  LoopbackServer server({.body_bytes = size});
  auto sink = std::make_shared<CountingSink>();
  Response got = Get(server, sink, kLargeBody - 1);
  ASSERT_TRUE(got.transport.ok()) << got.transport.ToString();
  EXPECT_EQ(sink->total, size);
  EXPECT_GE(sink->writes.size(), size / (16 << 10));
  for (size_t n : sink->writes) EXPECT_LE(n, 16u << 10);
}

// The rest is written after curl reported success: its failure is the
// exchange's, or a download would be taken as whole with its tail missing.
TEST(SinkBlockTest, TheSinkFailingOnTheRestFailsTheExchange) {
  LoopbackServer server({.body_bytes = 100 << 10});
  auto sink = std::make_shared<CountingSink>();
  sink->fail_at = 0;
  Response got = Get(server, sink, kLargeBody);
  EXPECT_EQ(got.transport.code(), StatusCode::kDataLoss) << got.transport.ToString();
  EXPECT_NE(got.transport.message().find("the disk is full"), std::string::npos)
      << got.transport.message();
  EXPECT_EQ(sink->total, 0u);
}

// A failure within the body stops it there, as without blocks.
TEST(SinkBlockTest, TheSinkFailingOnABlockStopsTheBody) {
  const uint64_t size = 4 * kSinkBlock;
  LoopbackServer server({.body_bytes = size});
  auto sink = std::make_shared<CountingSink>();
  sink->fail_at = 1;
  Response got = Get(server, sink, size);
  EXPECT_EQ(got.transport.code(), StatusCode::kDataLoss) << got.transport.ToString();
  EXPECT_EQ(sink->writes.size(), 1u);
  EXPECT_LT(sink->total, size);
}

}  // namespace
}  // namespace gwsync::http
