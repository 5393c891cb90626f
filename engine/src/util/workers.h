// Workers is a fixed pool of threads for the CPU and file work of transfers
// (hashing a part, reading a checkpoint, writing the index), so the event
// loop's thread never does it. Tasks run in the order given, each once, on
// whichever thread is free; an idle thread sleeps on a condition variable
// (it never spins). The number of threads is fixed at construction; with 0,
// Run() runs each task at once on the caller's thread (single-threaded tests
// on a fake transport). Run() is safe from any thread, the destructor runs
// what was queued and joins.
#pragma once

#include <tbb/task_arena.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gwsync::util {

// The engine's task arena for CPU work that comes in pieces large enough to
// pay for TBB's scheduling (verify's content checks: a file each): as many
// threads as the machine has cores, at least two, and one more, since the
// first stage of a pipeline may wait for a listing page without working.
tbb::task_arena& CpuArena();
// The threads CpuArena() has.
int CpuThreads();

class Workers {
 public:
  explicit Workers(int threads);
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  void Run(std::function<void()> task);
  int size() const { return static_cast<int>(threads_.size()); }

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace gwsync::util
