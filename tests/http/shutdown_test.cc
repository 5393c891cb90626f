// The curl loop's shutdown, against loopback servers that never answer or
// answer late: every completion and every posted callback runs exactly
// once, with kCancelled when the transport shuts down first; completions
// that send again are drained one after another, never nested; requests in
// flight get the grace asked for.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "http/event_loop.h"
#include "support/loopback_server.h"

namespace gwsync::http {
namespace {

using gwsync::testing::LoopbackServer;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// What completed, where, and how deeply completions nested on their thread.
class Recorder {
 public:
  // Call first thing in a completion; the returned guard ends it.
  struct Scope {
    Recorder* r;
    ~Scope() { --depth(); }
  };
  [[nodiscard]] Scope Enter(const Status& s) {
    int d = ++depth();
    std::lock_guard lock(mu_);
    codes_.push_back(s.code());
    threads_.push_back(std::this_thread::get_id());
    max_depth_ = std::max(max_depth_, d);
    cv_.notify_all();
    return Scope{this};
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
  size_t On(std::thread::id thread) {
    std::lock_guard lock(mu_);
    return static_cast<size_t>(std::count(threads_.begin(), threads_.end(), thread));
  }
  int max_depth() {
    std::lock_guard lock(mu_);
    return max_depth_;
  }

 private:
  static int& depth() {
    thread_local int d = 0;
    return d;
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<StatusCode> codes_;
  std::vector<std::thread::id> threads_;
  int max_depth_ = 0;
};

std::unique_ptr<CurlTransport> NewTransport() {
  auto t = CurlTransport::Create();
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(*t) : nullptr;
}

Request Get(const LoopbackServer& server) {
  Request r;
  r.url = server.url();
  r.stall_timeout = std::chrono::seconds(60);
  return r;
}

TEST(TransportShutdownTest, PostPendingAtShutdownRunsOnceCancelled) {
  auto transport = NewTransport();
  Recorder rec;
  transport->Post(std::chrono::hours(1), [&](Status s) { auto _ = rec.Enter(s); });
  transport->Post(milliseconds(0), [&](Status s) { auto _ = rec.Enter(s); });
  ASSERT_TRUE(rec.WaitFor(1, milliseconds(5000)));
  EXPECT_EQ(rec.Count(StatusCode::kOk), 1u) << "the due one ran as usual";
  transport->Shutdown(milliseconds(0));
  EXPECT_EQ(rec.count(), 2u);
  EXPECT_EQ(rec.Count(StatusCode::kCancelled), 1u);
  transport->Shutdown(milliseconds(0));  // idempotent
  transport.reset();
  EXPECT_EQ(rec.count(), 2u) << "ran twice";
}

TEST(TransportShutdownTest, DestroyingItCancelsWhatIsPosted) {
  auto transport = NewTransport();
  Recorder rec;
  for (int i = 0; i < 3; ++i) {
    transport->Post(std::chrono::hours(1), [&](Status s) { auto _ = rec.Enter(s); });
  }
  transport.reset();
  EXPECT_EQ(rec.Count(StatusCode::kCancelled), 3u);
}

TEST(TransportShutdownTest, PostAndSendAfterShutdownCompleteOnceOnTheCaller) {
  auto transport = NewTransport();
  LoopbackServer server(LoopbackServer::Silent());
  transport->Shutdown(milliseconds(0));
  Recorder rec;
  transport->Post(std::chrono::hours(1), [&](Status s) { auto _ = rec.Enter(s); });
  transport->Send(Get(server), [&](Response r) { auto _ = rec.Enter(r.transport); });
  EXPECT_EQ(rec.Count(StatusCode::kCancelled), 2u) << "before Send and Post returned";
  EXPECT_EQ(rec.On(std::this_thread::get_id()), 2u);
  EXPECT_EQ(server.requests(), 0);
}

// A completion after shutdown that sends again: each Send completes at
// once, and would nest 10,000 deep (a pool's waiters, each released by the
// previous one's end) without the trampoline.
TEST(TransportShutdownTest, SendsFromCompletionsAfterShutdownDoNotNest) {
  auto transport = NewTransport();
  LoopbackServer server(LoopbackServer::Silent());
  transport->Shutdown(milliseconds(0));
  Recorder rec;
  constexpr int kChain = 10000;
  std::function<void(Response)> next = [&](Response r) {
    auto _ = rec.Enter(r.transport);
    if (rec.count() < kChain) transport->Send(Get(server), next);
  };
  transport->Send(Get(server), next);
  EXPECT_EQ(rec.Count(StatusCode::kCancelled), static_cast<size_t>(kChain));
  EXPECT_EQ(rec.max_depth(), 1);
}

TEST(TransportShutdownTest, RequestInFlightGetsTheGrace) {
  LoopbackServer server({.answer_after = milliseconds(300), .body_bytes = 5});
  auto transport = NewTransport();
  Recorder rec;
  int status = 0;
  transport->Send(Get(server), [&](Response r) {
    auto _ = rec.Enter(r.transport);
    status = r.status;
  });
  ASSERT_TRUE(server.WaitForRequests(1, milliseconds(5000)));
  auto start = Clock::now();
  transport->Shutdown(std::chrono::seconds(20));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5)) << "waited out the whole grace";
  EXPECT_EQ(rec.Count(StatusCode::kOk), 1u);
  EXPECT_EQ(status, 200);
}

TEST(TransportShutdownTest, RequestPastTheGraceIsCancelled) {
  LoopbackServer server(LoopbackServer::Silent());
  auto transport = NewTransport();
  Recorder rec;
  transport->Send(Get(server), [&](Response r) { auto _ = rec.Enter(r.transport); });
  ASSERT_TRUE(server.WaitForRequests(1, milliseconds(5000)));
  auto start = Clock::now();
  transport->Shutdown(milliseconds(300));
  EXPECT_GE(Clock::now() - start, milliseconds(300));
  EXPECT_EQ(rec.count(), 1u);
  EXPECT_EQ(rec.Count(StatusCode::kCancelled), 1u);
  EXPECT_EQ(rec.On(std::this_thread::get_id()), 0u) << "not on the caller: the loop drains";
  transport.reset();
  EXPECT_EQ(rec.count(), 1u);
}

// Completions during the drain send and post again: all of it completes,
// on the loop's thread, one after another.
TEST(TransportShutdownTest, WorkFromCompletionsDuringTheDrainIsDrainedUnnested) {
  LoopbackServer server(LoopbackServer::Silent());
  auto transport = NewTransport();
  Recorder rec;
  std::atomic<int> sent{0};
  constexpr int kInFlight = 8, kMore = 2000;
  std::function<void(Response)> next = [&](Response r) {
    auto _ = rec.Enter(r.transport);
    if (sent.fetch_add(1) < kMore) {
      transport->Send(Get(server), next);
      transport->Post(milliseconds(0), [&](Status s) { auto _ = rec.Enter(s); });
    }
  };
  for (int i = 0; i < kInFlight; ++i) transport->Send(Get(server), next);
  ASSERT_TRUE(server.WaitForRequests(kInFlight, milliseconds(5000)));
  transport->Shutdown(milliseconds(0));
  size_t sends = kInFlight + kMore, posts = kMore;
  EXPECT_EQ(rec.count(), sends + posts);
  EXPECT_EQ(rec.Count(StatusCode::kCancelled), sends + posts);
  EXPECT_EQ(rec.max_depth(), 1);
  EXPECT_EQ(rec.On(std::this_thread::get_id()), 0u);
}

}  // namespace
}  // namespace gwsync::http
