// The attempt loop over the real transport and loopback servers, at the ends
// of a request's life: a transport that shuts down while requests wait for
// an endpoint (0, 1, the limit and the limit + 1 of them, and thousands) or
// for a retry's backoff, and a gateway that drips its answer. Every request
// ends exactly once: with kCancelled at shutdown, never stranded and never
// by a recursion as deep as the waiters; a dripping gateway is given up on
// at the request's deadline and the request retried on another.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/executor.h"
#include "gateway/pool.h"
#include "http/event_loop.h"
#include "support/loopback_server.h"

namespace gwsync::gateway {
namespace {

using gwsync::testing::LoopbackServer;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// The ends of many requests.
class Ends {
 public:
  Executor::Done Done() {
    return [this](http::Response r, const AttemptInfo& info) {
      std::lock_guard lock(mu_);
      codes_.push_back(r.transport.code());
      statuses_.push_back(r.status);
      attempts_.push_back(info.attempts);
      cv_.notify_all();
    };
  }
  bool WaitFor(size_t n, milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return codes_.size() >= n; });
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return codes_.size();
  }
  size_t Count(StatusCode code) {
    std::lock_guard lock(mu_);
    return static_cast<size_t>(std::count(codes_.begin(), codes_.end(), code));
  }
  std::vector<int> attempts() {
    std::lock_guard lock(mu_);
    return attempts_;
  }
  std::vector<int> statuses() {
    std::lock_guard lock(mu_);
    return statuses_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<StatusCode> codes_;
  std::vector<int> statuses_;
  std::vector<int> attempts_;
};

// A transport, a pool and an executor over `servers`, torn down in the order
// their owners do: the transport shut down first.
class Stack {
 public:
  Stack(std::vector<const LoopbackServer*> servers, PoolOptions options) {
    auto t = http::CurlTransport::Create();
    EXPECT_TRUE(t.ok());
    transport_ = std::move(*t);
    for (const auto* s : servers) hosts_.push_back(s->host());
    pool_ = std::make_shared<Pool>(hosts_, options, transport_.get());
    executor_ = std::make_unique<Executor>(pool_.get(), transport_.get());
  }
  ~Stack() { transport_->Shutdown(milliseconds(0)); }

  void Get(Executor::Done done, milliseconds stall = seconds(60), uint64_t min_rate = 0) {
    Call call;
    call.build = [this, stall, min_rate](int index) {
      http::Request r;
      r.url = "http://" + hosts_[index] + "/b/k";
      r.stall_timeout = stall;
      r.min_rate = min_rate;
      return r;
    };
    executor_->Run(std::move(call), std::move(done));
  }
  http::CurlTransport& transport() { return *transport_; }

 private:
  std::vector<std::string> hosts_;
  std::unique_ptr<http::CurlTransport> transport_;
  std::shared_ptr<Pool> pool_;
  std::unique_ptr<Executor> executor_;
};

constexpr int kLimit = 4;

PoolOptions Limited(int limit) {
  PoolOptions o;
  o.max_concurrency = o.initial_concurrency = limit;
  return o;
}

class WaitersAtShutdownTest : public ::testing::TestWithParam<int> {};

// `limit` requests in flight to a gateway that never answers and GetParam()
// more waiting for a slot: each cancelled request frees a slot for the next
// waiter, whose request is cancelled in turn.
TEST_P(WaitersAtShutdownTest, WaitingForASlotAllEndCancelled) {
  LoopbackServer server(LoopbackServer::Silent());
  Ends ends;
  {
    Stack stack({&server}, Limited(kLimit));
    for (int i = 0; i < kLimit + GetParam(); ++i) stack.Get(ends.Done());
    ASSERT_TRUE(server.WaitForRequests(kLimit, milliseconds(5000)));
    stack.transport().Shutdown(milliseconds(0));
    EXPECT_EQ(ends.count(), static_cast<size_t>(kLimit + GetParam()));
  }
  EXPECT_EQ(ends.Count(StatusCode::kCancelled), static_cast<size_t>(kLimit + GetParam()));
  EXPECT_EQ(server.requests(), kLimit) << "a waiter was sent after the shutdown";
}

// A rate limit of one request an hour: the first goes, the rest wait for the
// pool's timer, which the shutdown cancels.
TEST_P(WaitersAtShutdownTest, WaitingForTheRateLimitAllEndCancelled) {
  LoopbackServer server(LoopbackServer::Silent());
  Ends ends;
  PoolOptions o = Limited(kLimit);
  o.rps = 1.0 / 3600;
  {
    Stack stack({&server}, o);
    for (int i = 0; i < 1 + GetParam(); ++i) stack.Get(ends.Done());
    ASSERT_TRUE(server.WaitForRequests(1, milliseconds(5000)));
    stack.transport().Shutdown(milliseconds(0));
    EXPECT_EQ(ends.count(), static_cast<size_t>(1 + GetParam()));
  }
  EXPECT_EQ(ends.Count(StatusCode::kCancelled), static_cast<size_t>(1 + GetParam()));
  EXPECT_EQ(server.requests(), 1);
}

INSTANTIATE_TEST_SUITE_P(Boundaries, WaitersAtShutdownTest,
                         ::testing::Values(0, 1, kLimit, kLimit + 1));

// Each waiter is released by the previous one's cancellation: drained one
// after another, not by a recursion 50,000 deep (a stack overflow).
TEST(ShutdownDrainTest, FiftyThousandWaitersDrainWithoutRecursion) {
  LoopbackServer server(LoopbackServer::Silent());
  Ends ends;
  constexpr int kWaiters = 50000;
  {
    Stack stack({&server}, Limited(1));
    for (int i = 0; i < 1 + kWaiters; ++i) stack.Get(ends.Done());
    ASSERT_TRUE(server.WaitForRequests(1, milliseconds(5000)));
  }
  EXPECT_EQ(ends.Count(StatusCode::kCancelled), static_cast<size_t>(1 + kWaiters));
}

// A 503 whose retry waits out a backoff of an hour when the transport stops.
TEST(ShutdownDrainTest, RetryWaitingOutItsBackoffEndsCancelled) {
  LoopbackServer server({.status = 503});
  Ends ends;
  PoolOptions o;
  o.base_backoff = o.max_backoff = std::chrono::hours(1);
  {
    Stack stack({&server}, o);
    stack.Get(ends.Done());
    ASSERT_TRUE(server.WaitForRequests(1, milliseconds(5000)));
    std::this_thread::sleep_for(milliseconds(200));  // the 503 comes back, the retry waits
    EXPECT_EQ(ends.count(), 0u);
  }
  EXPECT_EQ(ends.Count(StatusCode::kCancelled), 1u);
  EXPECT_EQ(ends.attempts(), std::vector<int>{1});
  EXPECT_EQ(server.requests(), 1);
}

// Gateway A drips 10 bytes a second (never a stall); the request's deadline
// (2 s + 10,000 bytes at 10,000 bytes/s) ends that attempt, and the retry
// goes to gateway B, which answers.
TEST(DeadlineRetryTest, DrippingGatewayIsGivenUpOnAndTheRequestRetriedElsewhere) {
  LoopbackServer drip({.body_bytes = 10000, .drip_rate = 10});
  LoopbackServer fine({.body_bytes = 10000});
  Ends ends;
  auto start = Clock::now();
  {
    Stack stack({&drip, &fine}, PoolOptions{});
    stack.Get(ends.Done(), seconds(2), 10000);
    ASSERT_TRUE(ends.WaitFor(1, milliseconds(15000))) << "the request never ended";
  }
  auto took = Clock::now() - start;
  EXPECT_GE(took, seconds(3)) << "ended before the deadline: by the stall timeout?";
  EXPECT_LT(took, seconds(5));
  EXPECT_EQ(ends.Count(StatusCode::kOk), 1u);
  EXPECT_EQ(ends.statuses(), std::vector<int>{200});
  EXPECT_EQ(ends.attempts(), std::vector<int>{2});
  EXPECT_EQ(drip.requests(), 1);
  EXPECT_EQ(fine.requests(), 1);
}

}  // namespace
}  // namespace gwsync::gateway
