// The overall deadline of one exchange, on top of the stall timeout: a
// gateway that drips a few bytes a second never stalls, yet must not hold a
// request for hours. An exchange may run for
//
//   stall_timeout + (request body bytes + response body bytes) / min_rate
//
// where the response's bytes are what the response announces
// (Content-Length) once its headers are in, else the most the request
// accepts (Request::max_body), and what has come if that is more. Time
// paused by the transport's own byte budgets (--bwlimit) does not count. A plain value; the curl
// loop keeps one per exchange, on its thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "gwsync/status.h"

namespace gwsync::http::internal {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  Deadline() = default;
  // `min_rate` in bytes/s; 0, or a `stall_timeout` of 0: no deadline.
  Deadline(Clock::time_point start, std::chrono::milliseconds stall_timeout, uint64_t min_rate,
           uint64_t request_bytes)
      : start_(start), stall_(stall_timeout), min_rate_(min_rate), request_bytes_(request_bytes) {}

  // The byte budget paused the exchange, or let it go on.
  void Pause(Clock::time_point now) {
    if (!paused_since_) paused_since_ = now;
  }
  void Resume(Clock::time_point now) {
    if (paused_since_) paused_for_ += now - *paused_since_;
    paused_since_.reset();
  }

  // The time the exchange may take for `response_bytes` (see above).
  Clock::duration Allowance(uint64_t response_bytes) const;
  // The time it has taken so far, pauses left out.
  Clock::duration Elapsed(Clock::time_point now) const;
  // kDeadlineExceeded, saying why, once Elapsed is past Allowance.
  Status Check(Clock::time_point now, uint64_t response_bytes) const;

 private:
  Clock::time_point start_{};
  std::chrono::milliseconds stall_{0};
  uint64_t min_rate_ = 0;
  uint64_t request_bytes_ = 0;
  Clock::duration paused_for_{};
  std::optional<Clock::time_point> paused_since_;
};

}  // namespace gwsync::http::internal
