#include "util/workers.h"

#include <tbb/global_control.h>

#include <algorithm>
#include <memory>
#include <thread>

#ifdef GWSYNC_TSAN_HANDOFF
#include <sanitizer/tsan_interface.h>
#endif

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
  // TBB keeps an enqueued functor const and destroys it after it ran: the
  // task is held apart, so that it (and what it captured) is gone before
  // the owner, woken below, may destroy what a capture refers to. Nothing
  // of these Workers is touched once the task is queued but through it.
  //
  // Under ThreadSanitizer (tools/sanitize.sh --thread) this file alone is
  // not instrumented: a task's stack then starts at the task, not at TBB's
  // task frame (tools/tsan.supp drops every report with one of TBB's
  // frames), so a race in a transfer's work on the workers is still found;
  // and the hand-over through TBB's queue, which TSan cannot see, is
  // declared to it.
  auto* held = new std::function<void()>(std::move(task));
#ifdef GWSYNC_TSAN_HANDOFF
  __tsan_release(held);
#endif
  CpuArena().enqueue([this, held] {
#ifdef GWSYNC_TSAN_HANDOFF
    __tsan_acquire(held);
#endif
    std::unique_ptr<std::function<void()>> own(held);
    (*own)();
    own.reset();
    // Notified under the lock: once it is released the owner may see 0
    // and destroy these Workers.
    std::lock_guard lock(mu_);
    if (--pending_ == 0) cv_.notify_all();
  });
}

}  // namespace gwsync::util
