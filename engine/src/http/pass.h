// The end of the curl loop's pass. A completion that hands work to another
// thread defers that thread's wakeup to the end of the pass, once the loop
// has run every completion the pass brought: one wakeup per pass rather
// than one per completion (a sync's graph commits the pass's finished
// transfers as one batch). Only the loop's thread defers; on any other
// (a TBB worker finishing a download's check, a test's fake transport, a
// caller once the loop is gone) the work runs at once.
#pragma once

#include <functional>
#include <utility>
#include <vector>

namespace gwsync::http {

// Runs `fn` at the end of the loop's current pass, once for `key` however
// often it is deferred in the pass (the first `fn` given for it), or at
// once off the loop's thread. `fn` must own what it touches: the thread
// that waits for the wakeup may be done by the time it runs.
void AtEndOfPass(const void* key, const std::function<void()>& fn);

namespace internal {

// Held by the loop's thread while it runs; Flush runs what was deferred
// since the last Flush, and what that defers in turn. Loop thread only.
class PassScope {
 public:
  PassScope();
  ~PassScope();  // flushes
  PassScope(const PassScope&) = delete;
  PassScope& operator=(const PassScope&) = delete;

  void Flush();
  void Defer(const void* key, const std::function<void()>& fn);

 private:
  std::vector<std::pair<const void*, std::function<void()>>> deferred_;
  PassScope* previous_;
};

}  // namespace internal
}  // namespace gwsync::http
