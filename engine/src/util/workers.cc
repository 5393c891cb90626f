#include "util/workers.h"

#include <tbb/global_control.h>

#include <algorithm>
#include <thread>

namespace gwsync::util {

int CpuThreads() {
  static const int n = std::max(2, static_cast<int>(std::thread::hardware_concurrency())) + 1;
  return n;
}

tbb::task_arena& CpuArena() {
  // Made once and never destroyed: tasks may still be queued by a callback
  // while the process exits.
  static tbb::task_arena* arena = [] {
    // TBB starts at most a worker per core but one; the arena's extra thread
    // (CpuThreads) needs the limit raised.
    new tbb::global_control(tbb::global_control::max_allowed_parallelism,
                            static_cast<size_t>(CpuThreads()));
    auto* a = new tbb::task_arena(CpuThreads(), /*reserved_for_masters=*/1);
    a->initialize();
    return a;
  }();
  return *arena;
}

Workers::~Workers() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return pending_ == 0; });
}

void Workers::Run(std::function<void()> task) {
  if (inline_) return task();
  {
    std::lock_guard lock(mu_);
    ++pending_;
  }
  CpuArena().enqueue([this, task = std::move(task)] {
    task();
    Done();
  });
}

// Notified under the lock: once it is released the owner may destroy these
// Workers, and nothing here touches them after.
void Workers::Done() {
  std::lock_guard lock(mu_);
  if (--pending_ == 0) cv_.notify_all();
}

}  // namespace gwsync::util
