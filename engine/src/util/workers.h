// The engine's one pool of threads for CPU and file work: a TBB task arena
// shared by the sync's flow graph (sync/sync.cc), verify's content checks and
// the transfers' hashing, reading and checkpoint saves, so that three kinds
// of work never compete as three pools on a machine of few cores.
//
// Workers hands a transfer's tasks to that arena, so the event loop's thread
// never does them. Tasks run each once, on whichever thread of the arena is
// free, in no promised order; an idle thread sleeps (after TBB's brief spin).
// With 0 threads, Run() runs each task at once on the caller's thread
// (single-threaded tests on a fake transport). Run() is safe from any thread
// (it never blocks: the task is enqueued); the destructor waits until every
// task given has run.
#pragma once

#include <tbb/task_arena.h>

#include <condition_variable>
#include <functional>
#include <mutex>

namespace gwsync::util {

// The arena: as many threads as the machine has cores, at least two, and one
// more, since one of them may wait for a listing page (the flow graph's
// planner) without working. The caller of execute() takes a reserved slot.
tbb::task_arena& CpuArena();
// The threads CpuArena() has.
int CpuThreads();

class Workers {
 public:
  // 0: inline on the caller's thread; anything else: the shared arena.
  explicit Workers(int threads = 1) : inline_(threads == 0) {}
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  void Run(std::function<void()> task);

 private:
  void Done();

  const bool inline_;
  std::mutex mu_;
  std::condition_variable cv_;
  int pending_ = 0;  // given and not yet run; guarded by mu_
};

}  // namespace gwsync::util
