// Pool spreads requests over several endpoints of one cluster and keeps them
// from being overwhelmed: each attempt goes to the healthy endpoint with the
// fewest requests in flight, within that endpoint's concurrency limit, which
// an AIMD controller halves on throttling (503 SlowDown, 429, 5xx, timeouts)
// and grows by one per window of healthy responses. Throttling also sets a
// rate limit per endpoint (AIMD too: 0.7x of the rate that was refused, at
// most once per window, then +5% per healthy window), since at low latency
// even a few requests in flight exceed what a rate-limiting router admits.
// An endpoint that refuses
// or resets connections is marked down and probed again with backoff. Token
// buckets cap requests per second, globally and per endpoint.
//
// The pool knows nothing of S3: it hands out endpoint indices and hears of
// outcomes. Safe from any thread; the `go` callbacks run on whichever thread
// released a slot, or on the transport's thread after a wait, never under the
// pool's lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gwsync/gateway.h"
#include "http/request.h"
#include "util/clock.h"

namespace gwsync::gateway {

struct PoolOptions {
  int max_concurrency = 64;      // per endpoint, the AIMD ceiling
  int initial_concurrency = 16;  // per endpoint, where AIMD starts
  double rps = 0;                // requests/s over all endpoints; 0: unlimited
  double endpoint_rps = 0;       // requests/s per endpoint; 0: unlimited
  int max_attempts = 5;          // per request, transient failures included
  // Throttled requests (503, 429) are retried with growing waits for this
  // long, however many attempts that takes: a router that admits a rate
  // below ours costs time, not objects.
  std::chrono::milliseconds throttle_budget{30000};
  int max_throttled_attempts = 30;
  std::chrono::milliseconds base_backoff{100};
  std::chrono::milliseconds max_backoff{10000};
  // Time and backoff jitter (null: the real ones); tests pass a virtual
  // clock. Not owned: they must outlive the pool.
  Clock* clock = nullptr;
  Random* random = nullptr;
};

// How an attempt ended, as far as the pool cares.
enum class Outcome {
  kOk,         // any complete answer that is not a throttle or 5xx (4xx included)
  kThrottled,  // 503 SlowDown, 429, 500/502/504: slow down, retry later
  kTimeout,    // no answer in time: slow down, and the endpoint may be hung
  kDown,       // refused or reset: the endpoint is marked down
};

// One endpoint's figures (gwsync/gateway.h: the library's, the same type).
using EndpointStats = gwsync::GatewayStats;

class Pool : public std::enable_shared_from_this<Pool> {
 public:
  // `transport` runs the timers (backoff waits, rate-limit waits). Own a
  // Pool through a shared_ptr: its timers hold a weak reference.
  Pool(std::vector<std::string> endpoint_names, const PoolOptions& options,
       http::Transport* transport);

  size_t size() const { return endpoints_.size(); }

  // Calls `go(index)` once an endpoint has room for one more request (now, or
  // later from another thread). `avoid` (-1: none) is skipped when another
  // endpoint is up: a retry goes elsewhere. A request waiting for time (a
  // rate limit, every endpoint down) when the transport shuts down gets
  // kCancelled instead of an index: `go` runs exactly once.
  using Go = std::function<void(StatusOr<int> index)>;
  void Acquire(int avoid, Go go);
  // Ends an attempt on `index`; frees its slot and adjusts its health.
  void Release(int index, Outcome outcome, const http::Response& response);
  // The wait before attempt number `attempt` (1-based) of a request, with
  // jitter; `retry_after` (from the gateway) wins when longer.
  std::chrono::milliseconds Backoff(int attempt, std::chrono::milliseconds retry_after) const;
  int max_attempts() const { return options_.max_attempts; }
  std::chrono::milliseconds throttle_budget() const { return options_.throttle_budget; }
  int max_throttled_attempts() const { return options_.max_throttled_attempts; }
  // True when every endpoint is marked down: a refused connection is then
  // final after a few quick tries (kDownAttempts), not after max_attempts.
  bool AllDown() const;
  static constexpr int kDownAttempts = 3;
  // The clock the pool measures with (PoolOptions::clock, or the real one).
  Clock& clock() const { return *clock_; }

  std::vector<EndpointStats> Stats() const;

 public:
  struct Endpoint {
    EndpointStats stats;
    int in_flight = 0;
    double limit = 16;
    int healthy = 0;  // answers since the last change of limit
    Clock::TimePoint down_until{};
    std::chrono::milliseconds down_backoff{200};
    double tokens = 0;  // per-endpoint rate bucket
    Clock::TimePoint refilled{};
    // The adaptive rate limit (requests/s; 0: none yet) and when it, or the
    // concurrency limit, last changed.
    double rate = 0;
    Clock::TimePoint changed{};
    // Requests sent, and answered without throttling, per second, measured
    // over windows of 100 ms.
    double sent_rate = 0;
    int window_sent = 0;
    Clock::TimePoint window_start{};
    double ok_rate = 0;
    int window_ok = 0;
    Clock::TimePoint ok_window_start{};
  };

 private:
  struct Waiter {
    int avoid;
    Go go;
  };
  // Waiters given an endpoint under mu_, called once it is released; and
  // the wake to post then, if one is due (never posted under mu_: after
  // shutdown the transport runs it at once).
  struct Ready {
    std::vector<std::pair<Go, int>> go;
    std::optional<std::chrono::milliseconds> wake;
  };

  // Under mu_: the endpoint to use now, or -1. Sets *wait when only time
  // (rate limit, every endpoint down) stands in the way.
  int PickLocked(int avoid, std::chrono::milliseconds* wait);
  void DispatchLocked(Ready* ready);
  void Refill(double* tokens, Clock::TimePoint* at, double rate);
  // Under mu_: asks for a wake in `wait` unless one is scheduled.
  void ScheduleWakeLocked(std::chrono::milliseconds wait, Ready* ready);
  // Not under mu_: posts the wake and runs what is ready.
  void Run(Ready ready);

  PoolOptions options_;
  http::Transport* transport_;
  Clock* clock_;
  Random* random_;
  mutable std::mutex mu_;
  std::vector<Endpoint> endpoints_;
  std::deque<Waiter> waiters_;
  double tokens_ = 0;  // global rate bucket
  Clock::TimePoint refilled_{};
  bool wake_scheduled_ = false;
};

}  // namespace gwsync::gateway
