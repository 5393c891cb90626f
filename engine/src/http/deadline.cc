#include "http/deadline.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace gwsync::http::internal {

Deadline::Clock::duration Deadline::Allowance(uint64_t response_bytes) const {
  double bytes = static_cast<double>(request_bytes_) + static_cast<double>(response_bytes);
  // Capped at ten years: a duration in nanoseconds holds about 292.
  double seconds = std::min(bytes / static_cast<double>(min_rate_), 3e8);
  return stall_ +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

Deadline::Clock::duration Deadline::Elapsed(Clock::time_point now) const {
  Clock::duration paused = paused_for_;
  if (paused_since_) paused += now - *paused_since_;
  return now - start_ - paused;
}

Status Deadline::Check(Clock::time_point now, uint64_t response_bytes) const {
  // No stall timeout: no slack to build on (a HEAD would have none at all).
  if (min_rate_ == 0 || stall_ <= std::chrono::milliseconds::zero()) return Status::Ok();
  Clock::duration allowed = Allowance(response_bytes);
  if (Elapsed(now) <= allowed) return Status::Ok();
  auto s = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  char text[256];
  std::snprintf(text, sizeof(text),
                "no complete answer within %.1f s (--timeout %.0f s, then %llu bytes at --min-rate "
                "%llu bytes/s)",
                s(allowed), s(stall_),
                static_cast<unsigned long long>(request_bytes_) + response_bytes,
                static_cast<unsigned long long>(min_rate_));
  return Status(StatusCode::kDeadlineExceeded, text);
}

}  // namespace gwsync::http::internal
