// A CallerLoop brings the completions of asynchronous operations back to the
// thread that started them. Their callbacks run on the event loop's thread,
// which must do no file work: they Post() what is left to do, and the
// starting thread runs it. Post() never runs the closure itself, so a
// completion that comes synchronously, from inside the call that started its
// request, runs later from the loop instead of recursing into its caller.
// Callbacks hold the loop by shared_ptr, so it outlives the last of them.
// Post() is safe from any thread; Run() and RunBounded() are for the one
// thread that owns the loop.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace gwsync::util {

class CallerLoop {
 public:
  void Post(std::function<void()> task);
  // Sleeps (never spins) until something is posted, then runs everything
  // posted so far, oldest first.
  void Run();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> posted_;  // guarded by mu_
};

// Called once by an operation of RunBounded, on the calling thread.
using Finished = std::function<void()>;
using StartNext = std::function<bool(const std::shared_ptr<CallerLoop>& loop, Finished finished)>;

// Runs operations from the calling thread, at most `limit` (at least one) in
// flight. `start` starts the next operation and returns true, or returns
// false when none is left; the operation posts its steps to `loop` and calls
// `finished` from the last of them. Returns once `start` has said none is
// left and every operation started has finished.
void RunBounded(int limit, const StartNext& start);

}  // namespace gwsync::util
