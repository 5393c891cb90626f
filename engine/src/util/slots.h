// Slots bound how many of something are in flight: Acquire waits (sleeping
// on a condition variable, never spinning) until one is free, Release gives
// one back. Any thread.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace gwsync::util {

class Slots {
 public:
  explicit Slots(int n) : free_(std::max(1, n)) {}
  void Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return free_ > 0; });
    --free_;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      ++free_;
    }
    cv_.notify_one();  // after the unlock: the waiter does not block on mu_ again
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int free_;
};

}  // namespace gwsync::util
