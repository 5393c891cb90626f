// RunBounded at its boundaries: no operation, one, the limit, the limit and
// one more, with completions coming from another thread as the event loop's
// do, and run on the calling thread; a completion posted from inside the
// call that started it runs only once that call has returned.
#include "util/caller_loop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace gwsync::util {
namespace {

using namespace std::chrono_literals;

// Stands in for the event loop: its one thread runs what it is handed, in
// order, a little later.
class FakeTransport {
 public:
  FakeTransport()
      : thread_([this] {
          std::unique_lock lock(mu_);
          for (;;) {
            cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
            if (queue_.empty()) return;
            auto task = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            std::this_thread::sleep_for(1ms);
            task();
            lock.lock();
          }
        }) {}
  ~FakeTransport() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void Submit(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: started once the rest is
};

struct Counts {
  int started = 0, finished = 0, in_flight = 0, most_in_flight = 0;
  bool off_thread = false;  // a completion ran on a thread not the caller's
};

// `n` operations of two requests each, the second started by the first's completion.
Counts RunOperations(int n, int limit) {
  FakeTransport transport;
  Counts c;
  const auto caller = std::this_thread::get_id();
  RunBounded(limit, [&](const std::shared_ptr<CallerLoop>& loop, Finished finished) {
    if (c.started == n) return false;
    c.started++;
    c.most_in_flight = std::max(c.most_in_flight, ++c.in_flight);
    transport.Submit([&, loop, finished] {
      loop->Post([&, loop, finished] {
        c.off_thread |= std::this_thread::get_id() != caller;
        transport.Submit([&, loop, finished] {
          loop->Post([&, finished] {
            c.off_thread |= std::this_thread::get_id() != caller;
            c.in_flight--;
            c.finished++;
            finished();
          });
        });
      });
    });
    return true;
  });
  return c;
}

TEST(CallerLoopTest, NoOperation) {
  Counts c = RunOperations(0, 4);
  EXPECT_EQ(c.started, 0);
  EXPECT_EQ(c.most_in_flight, 0);
}

TEST(CallerLoopTest, OneTheLimitAndOneMore) {
  constexpr int kLimit = 4;
  for (int n : {1, kLimit, kLimit + 1}) {
    Counts c = RunOperations(n, kLimit);
    EXPECT_EQ(c.started, n) << n;
    EXPECT_EQ(c.finished, n) << n;
    EXPECT_EQ(c.in_flight, 0) << n;
    EXPECT_EQ(c.most_in_flight, std::min(n, kLimit)) << n;
    EXPECT_FALSE(c.off_thread) << n;
  }
}

TEST(CallerLoopTest, ALimitBelowOneIsOne) {
  Counts c = RunOperations(3, 0);
  EXPECT_EQ(c.finished, 3);
  EXPECT_EQ(c.most_in_flight, 1);
}

// As a start function that fails at once calls its callback before it
// returns: the completion waits for the loop, so a chain of them does not
// recurse, each run only once the call that posted it has returned.
TEST(CallerLoopTest, ACompletionPostedFromItsStartRunsAfterTheStartReturned) {
  constexpr int kSteps = 1000;
  bool in_start = false, ran_in_start = false;
  int steps = 0, finished = 0;
  std::function<void(const std::shared_ptr<CallerLoop>&, Finished)> step =
      [&](const std::shared_ptr<CallerLoop>& loop, Finished done) {
        in_start = true;
        loop->Post([&, loop, done] {
          ran_in_start |= in_start;
          if (++steps % kSteps == 0) return done();
          step(loop, done);
        });
        in_start = false;
      };
  int started = 0;
  RunBounded(2, [&](const std::shared_ptr<CallerLoop>& loop, Finished done) {
    if (started == 2) return false;
    started++;
    step(loop, [&finished, done] {
      finished++;
      done();
    });
    return true;
  });
  EXPECT_FALSE(ran_in_start);
  EXPECT_EQ(finished, 2);
  EXPECT_EQ(steps, 2 * kSteps);
}

TEST(CallerLoopTest, RunWaitsForAPostFromAnotherThread) {
  auto loop = std::make_shared<CallerLoop>();
  int ran = 0;
  std::thread other([loop, &ran] {
    std::this_thread::sleep_for(20ms);
    loop->Post([&ran] { ran++; });
  });
  loop->Run();
  EXPECT_EQ(ran, 1);
  other.join();
}

}  // namespace
}  // namespace gwsync::util
