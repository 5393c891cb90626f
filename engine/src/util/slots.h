// Slots bound how many of something are in flight: Acquire waits (sleeping
// on a condition variable, never spinning) until one is free, Release gives
// some back. Once none is free, none is handed out again until `wake` are
// (or all of them, when there are fewer): a producer held up by the bound
// goes on with several at a time rather than with each one freed, one
// wakeup per `wake` jobs instead of one per job. Every slot freed in the end
// wakes it, so it never waits on slots that will not come. Any thread.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace gwsync::util {

class Slots {
 public:
  explicit Slots(int n, int wake = 1) : total_(std::max(1, n)), free_(total_) {
    wake_ = std::clamp(wake, 1, total_);
  }
  void Acquire() {
    std::unique_lock lock(mu_);
    // Once none is free, none is handed out again until `wake_` are.
    cv_.wait(lock, [&] { return free_ > 0 && open_; });
    if (--free_ == 0) open_ = false;
  }
  void Release(int n = 1) {
    bool wake = false;
    {
      std::lock_guard lock(mu_);
      free_ += n;
      if (!open_ && free_ >= wake_) wake = open_ = true;
    }
    if (wake) cv_.notify_all();  // after the unlock: a waiter does not block on mu_ again
  }
  int free() {
    std::lock_guard lock(mu_);
    return free_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int total_;
  int wake_;
  int free_;
  bool open_ = true;  // free_ reached wake_ since it was last 0
};

}  // namespace gwsync::util
