#include "util/workers.h"

#include <tbb/global_control.h>

#include <algorithm>

namespace gwsync::util {

// Never destroyed, and kept where LeakSanitizer sees it.
tbb::global_control* g_cpu_limit = nullptr;

int CpuThreads() {
  static const int n = std::max(2, static_cast<int>(std::thread::hardware_concurrency())) + 1;
  return n;
}

tbb::task_arena& CpuArena() {
  // Made once and never destroyed: tasks may still be queued while the
  // process exits.
  static tbb::task_arena* arena = [] {
    // TBB starts at most a worker per core but one; the arena's extra
    // thread (CpuThreads) needs the limit raised. Never destroyed either.
    g_cpu_limit = new tbb::global_control(tbb::global_control::max_allowed_parallelism,
                                          static_cast<size_t>(CpuThreads()));
    auto* a = new tbb::task_arena(CpuThreads(), /*reserved_for_masters=*/1);
    a->initialize();
    return a;
  }();
  return *arena;
}

Workers::Workers(int threads) {
  for (int i = 0; i < std::max(0, threads); ++i) threads_.emplace_back([this] { Loop(); });
}

Workers::~Workers() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void Workers::Run(std::function<void()> task) {
  if (threads_.empty()) return task();
  // Notified under the lock: once it is released the task may run and be
  // the one that lets the owner destroy these Workers.
  std::lock_guard lock(mu_);
  tasks_.push_back(std::move(task));
  cv_.notify_one();
}

void Workers::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping, and everything queued has run
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace gwsync::util
