// The engine's one pool for CPU and file work: the TBB worker threads of
// CpuArena(). Workers hands it the work of transfers (hashing a part,
// opening a file, reading a checkpoint, a download's content check), so the
// event loop's thread never does it, and outlives every task it handed over:
// its destructor waits for them, each task's captures destroyed before it
// returns. Run() is safe from any thread, and never blocks. With kInline,
// Run() runs each task at once on the caller's thread (single-threaded
// tests on a fake transport).
#pragma once

#include <tbb/task_arena.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace gwsync::util {

// The engine's task arena for CPU work: as many threads as the machine has
// cores, at least two, and one more, since the first stage of verify's
// pipeline may wait for a listing page without working. One slot is kept
// for the thread that runs a verify; transfers' tasks are queued to it
// (task_arena::enqueue) and run on its workers. The sync's graph runs in an
// arena of its own (its caller holds that arena's one slot for masters
// while it commits), served by the same worker threads.
tbb::task_arena& CpuArena();
// The threads CpuArena() has.
int CpuThreads();

class Workers {
 public:
  enum class Mode { kArena, kInline };
  explicit Workers(Mode mode = Mode::kArena) : inline_(mode == Mode::kInline) {}
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  void Run(std::function<void()> task);

 private:
  const bool inline_;
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t pending_ = 0;  // handed to the arena and not yet finished; guarded by mu_
};

}  // namespace gwsync::util
