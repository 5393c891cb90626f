#include "util/caller_loop.h"

#include <algorithm>
#include <utility>

namespace gwsync::util {

void CallerLoop::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    posted_.push_back(std::move(task));
  }
  // After the unlock: the woken thread does not block on mu_ again. The
  // poster holds the loop by shared_ptr, so it is still there.
  cv_.notify_one();
}

void CallerLoop::Run() {
  std::deque<std::function<void()>> now;
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !posted_.empty(); });
    now.swap(posted_);
  }
  // Unlocked: what these post meanwhile waits for the next Run.
  for (auto& task : now) task();
}

void RunBounded(int limit, const StartNext& start) {
  auto loop = std::make_shared<CallerLoop>();
  limit = std::max(1, limit);
  int running = 0;  // the calling thread's alone: `finished` runs on it
  bool more = true;
  for (;;) {
    while (more && running < limit) {
      ++running;
      if (!start(loop, [&running] { --running; })) {
        --running;
        more = false;
      }
    }
    if (!more && running == 0) return;
    loop->Run();
  }
}

}  // namespace gwsync::util
