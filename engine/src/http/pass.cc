#include "http/pass.h"

namespace gwsync::http {
namespace {

thread_local internal::PassScope* g_pass = nullptr;

}  // namespace

void AtEndOfPass(const void* key, const std::function<void()>& fn) {
  if (g_pass == nullptr) return fn();
  g_pass->Defer(key, fn);
}

namespace internal {

PassScope::PassScope() : previous_(g_pass) { g_pass = this; }

PassScope::~PassScope() {
  Flush();
  g_pass = previous_;
}

void PassScope::Defer(const void* key, const std::function<void()>& fn) {
  // A pass defers for a few keys (one per sync running): a scan is enough.
  for (const auto& d : deferred_) {
    if (d.first == key) return;
  }
  deferred_.emplace_back(key, fn);
}

void PassScope::Flush() {
  while (!deferred_.empty()) {
    std::vector<std::pair<const void*, std::function<void()>>> now;
    now.swap(deferred_);
    for (auto& d : now) d.second();
  }
}

}  // namespace internal
}  // namespace gwsync::http
