// The overall deadline of a request (Request::min_rate): a gateway that
// drips a few bytes a second is given up on in bounded time, while time
// paused by gwsync's own byte budget (--bwlimit) does not count.
#include "http/deadline.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>

#include "http/event_loop.h"
#include "support/loopback_server.h"

namespace gwsync::http {
namespace {

using gwsync::testing::LoopbackServer;
using internal::Deadline;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

TEST(DeadlineTest, AllowsTheStallTimeoutPlusTheBytesAtTheMinimumRate) {
  Clock::time_point t0{};
  Deadline d(t0, seconds(10), /*min_rate=*/1000, /*request_bytes=*/5000);
  EXPECT_EQ(d.Allowance(0), seconds(15));
  EXPECT_EQ(d.Allowance(20000), seconds(35));
  EXPECT_TRUE(d.Check(t0 + seconds(35), 20000).ok());
  Status late = d.Check(t0 + seconds(36), 20000);
  EXPECT_EQ(late.code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(late.message().find("35.0 s"), std::string::npos) << late.message();
  EXPECT_NE(late.message().find("--min-rate"), std::string::npos) << late.message();
}

TEST(DeadlineTest, TimePausedDoesNotCount) {
  Clock::time_point t0{};
  Deadline d(t0, seconds(10), 1000, 0);
  d.Pause(t0 + seconds(1));
  d.Pause(t0 + seconds(2));  // still the first pause
  EXPECT_EQ(d.Elapsed(t0 + seconds(100)), seconds(1)) << "paused since 1 s";
  d.Resume(t0 + seconds(101));
  EXPECT_EQ(d.Elapsed(t0 + seconds(105)), seconds(5));
  EXPECT_TRUE(d.Check(t0 + seconds(110), 0).ok());
  EXPECT_FALSE(d.Check(t0 + seconds(111), 0).ok());
}

TEST(DeadlineTest, NoMinimumRateNoDeadline) {
  Clock::time_point t0{};
  EXPECT_TRUE(Deadline(t0, seconds(1), 0, 100).Check(t0 + std::chrono::hours(1000), 0).ok());
}

// Request::min_rate's promise: no stall timeout, no deadline. Else a
// bodiless request (a HEAD, a DELETE) would be allowed no time at all.
TEST(DeadlineTest, NoStallTimeoutNoDeadline) {
  Clock::time_point t0{};
  Deadline d(t0, seconds(0), /*min_rate=*/16 << 10, /*request_bytes=*/0);
  EXPECT_TRUE(d.Check(t0 + seconds(1), 0).ok());
  EXPECT_TRUE(d.Check(t0 + std::chrono::hours(1000), 1 << 20).ok());
}

Response SendAndWait(Transport& transport, Request request, milliseconds bound) {
  auto done = std::make_shared<std::promise<Response>>();
  auto future = done->get_future();
  transport.Send(std::move(request), [done](Response r) { done->set_value(std::move(r)); });
  if (future.wait_for(bound) != std::future_status::ready) {
    ADD_FAILURE() << "no answer within " << bound.count() << " ms";
    return Response{};
  }
  return future.get();
}

// 10 bytes a second never trips the stall timeout (below 1 byte/s); 10,000
// bytes would take 17 minutes. Asked as a 16 MiB range (the first part of a
// `get`), answered with 10,000 bytes: the deadline is the announced length's.
TEST(DeadlineTest, DrippingAnswerEndsAtItsDeadline) {
  LoopbackServer server({.body_bytes = 10000, .drip_rate = 10});
  auto transport = CurlTransport::Create();
  ASSERT_TRUE(transport.ok());
  Request r;
  r.url = server.url();
  r.stall_timeout = seconds(2);
  r.max_body = 16 << 20;
  r.min_rate = 10000;  // 2 s + 10,000 bytes at 10,000/s: 3 s
  auto start = Clock::now();
  Response got = SendAndWait(**transport, r, milliseconds(15000));
  auto took = Clock::now() - start;
  EXPECT_EQ(got.transport.code(), StatusCode::kDeadlineExceeded) << got.transport.ToString();
  EXPECT_NE(got.transport.message().find("within 3.0 s"), std::string::npos)
      << got.transport.message();
  EXPECT_GE(took, seconds(3));
  EXPECT_LT(took, milliseconds(4500)) << "checked every 500 ms";
  EXPECT_LT(got.bytes_received, 50u);
}

// 48 KiB through a budget of 16 KiB/s takes 3 s, paused most of it; the
// deadline, 2.5 s of transfer, counts only the time not paused.
TEST(DeadlineTest, TimePausedByTheByteBudgetDoesNotCount) {
  LoopbackServer server({.body_bytes = 48 << 10});
  TransportOptions limited;
  limited.bytes_per_second = 16 << 10;
  auto transport = CurlTransport::Create(limited);
  ASSERT_TRUE(transport.ok());
  Request r;
  r.url = server.url();
  r.stall_timeout = seconds(2);
  r.min_rate = 96 << 10;
  auto start = Clock::now();
  Response got = SendAndWait(**transport, r, milliseconds(15000));
  EXPECT_TRUE(got.transport.ok()) << got.transport.ToString();
  EXPECT_EQ(got.body.size(), 48u << 10);
  EXPECT_GE(Clock::now() - start, milliseconds(2500)) << "not paced: the test proves nothing";
}

}  // namespace
}  // namespace gwsync::http
