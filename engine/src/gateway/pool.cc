#include "gateway/pool.h"

#include <algorithm>
#include <cmath>

namespace gwsync::gateway {

namespace {
using std::chrono::milliseconds;

milliseconds Until(Clock::TimePoint at, Clock::TimePoint now) {
  return std::chrono::duration_cast<milliseconds>(at - now) + milliseconds(1);
}

// One decrease per window: the answers to requests sent before a decrease
// say nothing about the new limits.
constexpr milliseconds kAdjustWindow{250};
constexpr double kRateDecrease = 0.7;
constexpr double kRateIncrease = 0.05;
constexpr double kAdmittedShare = 0.9;
}  // namespace

// Requests/s sent to `e` lately: the last whole window's figure, or, in the
// first 100 ms (a throttle can come that early), the current window's.
static double SentRate(const Pool::Endpoint& e, Clock::TimePoint now) {
  double span = std::chrono::duration<double>(now - e.window_start).count();
  double current = span > 0.005 ? e.window_sent / span : 0;
  return std::max(e.sent_rate, current);
}

// Requests/s answered without throttling lately: what the gateway (or the
// router in front of it) admits.
static double AdmittedRate(const Pool::Endpoint& e, Clock::TimePoint now) {
  double span = std::chrono::duration<double>(now - e.ok_window_start).count();
  double current = span > 0.02 ? e.window_ok / span : 0;
  return std::max(e.ok_rate, current);
}

// The rate an endpoint may be sent now: the user's cap, the adaptive one,
// or the lower of the two (0: none).
static double EffectiveRate(double user, double adaptive) {
  if (user > 0 && adaptive > 0) return std::min(user, adaptive);
  return user > 0 ? user : adaptive;
}

Pool::Pool(std::vector<std::string> endpoint_names, const PoolOptions& options,
           http::Transport* transport)
    : options_(options),
      transport_(transport),
      clock_(options.clock ? options.clock : Clock::Real()),
      random_(options.random ? options.random : Random::Real()) {
  for (auto& name : endpoint_names) {
    Endpoint e;
    e.stats.name = std::move(name);
    e.limit = std::clamp(options.initial_concurrency, 1, std::max(1, options.max_concurrency));
    e.stats.concurrency = e.stats.concurrency_min = e.stats.concurrency_max =
        static_cast<int>(e.limit);
    e.tokens = 1;
    endpoints_.push_back(std::move(e));
  }
  tokens_ = 1;
}

// Token buckets hold at most a tenth of a second's worth (at least one), so
// a limit is smooth rather than bursty.
void Pool::Refill(double* tokens, Clock::TimePoint* at, double rate) {
  auto now = clock_->Now();
  if (at->time_since_epoch().count() == 0) *at = now;
  double burst = std::max(1.0, rate / 10);
  *tokens = std::min(burst, *tokens + rate * std::chrono::duration<double>(now - *at).count());
  *at = now;
}

int Pool::PickLocked(int avoid, milliseconds* wait) {
  auto now = clock_->Now();
  *wait = milliseconds(0);
  if (options_.rps > 0) {
    Refill(&tokens_, &refilled_, options_.rps);
    if (tokens_ < 1) {
      *wait = milliseconds(static_cast<int64_t>(std::ceil((1 - tokens_) * 1000 / options_.rps)));
      return -1;
    }
  }
  int best = -1, best_other = -1;
  bool any_up = false;
  Clock::TimePoint first_back = Clock::TimePoint::max();
  milliseconds token_wait = milliseconds::max();
  for (int i = 0; i < static_cast<int>(endpoints_.size()); ++i) {
    Endpoint& e = endpoints_[i];
    if (e.down_until > now) {
      first_back = std::min(first_back, e.down_until);
      continue;
    }
    any_up = true;
    if (e.in_flight >= static_cast<int>(e.limit)) continue;
    if (double rate = EffectiveRate(options_.endpoint_rps, e.rate); rate > 0) {
      Refill(&e.tokens, &e.refilled, rate);
      if (e.tokens < 1) {
        token_wait =
            std::min(token_wait,
                     milliseconds(static_cast<int64_t>(std::ceil((1 - e.tokens) * 1000 / rate))));
        continue;
      }
    }
    auto better = [&](int cur) {
      if (cur < 0) return true;
      const Endpoint& c = endpoints_[cur];
      return e.in_flight < c.in_flight ||
             (e.in_flight == c.in_flight && e.stats.requests < c.stats.requests);
    };
    if (better(best)) best = i;
    if (i != avoid && better(best_other)) best_other = i;
  }
  if (best_other >= 0) best = best_other;
  if (best < 0) {
    if (!any_up)
      *wait = Until(first_back, now);  // all down: probe the first back
    else if (token_wait != milliseconds::max())
      *wait = token_wait;
    return -1;
  }
  Endpoint& e = endpoints_[best];
  ++e.in_flight;
  ++e.stats.requests;
  if (options_.rps > 0) tokens_ -= 1;
  if (EffectiveRate(options_.endpoint_rps, e.rate) > 0) e.tokens -= 1;
  ++e.window_sent;
  if (e.window_start.time_since_epoch().count() == 0) e.window_start = now;
  if (double span = std::chrono::duration<double>(now - e.window_start).count(); span >= 0.1) {
    e.sent_rate = e.window_sent / span;
    e.window_sent = 0;
    e.window_start = now;
  }
  return best;
}

void Pool::Acquire(int avoid, Go go) {
  int index;
  milliseconds wait{0};
  Ready ready;
  {
    std::lock_guard lock(mu_);
    index = waiters_.empty() ? PickLocked(avoid, &wait) : -1;
    if (index < 0) {
      waiters_.push_back({avoid, std::move(go)});
      if (wait.count() > 0 || waiters_.size() == 1) {
        ScheduleWakeLocked(std::max(wait, milliseconds(1)), &ready);
      }
    }
  }
  // NOLINTNEXTLINE(bugprone-use-after-move): `go` was moved only when index < 0
  if (index >= 0) return go(index);
  Run(std::move(ready));
}

void Pool::DispatchLocked(Ready* ready) {
  while (!waiters_.empty()) {
    milliseconds wait{0};
    int index = PickLocked(waiters_.front().avoid, &wait);
    if (index < 0) {
      if (wait.count() > 0) ScheduleWakeLocked(wait, ready);
      return;
    }
    ready->go.emplace_back(std::move(waiters_.front().go), index);
    waiters_.pop_front();
  }
}

// One timer at a time; it re-arms itself while waiters remain.
void Pool::ScheduleWakeLocked(milliseconds wait, Ready* ready) {
  if (wake_scheduled_) return;
  wake_scheduled_ = true;
  ready->wake = wait;
}

void Pool::Run(Ready ready) {
  if (ready.wake) {
    transport_->Post(*ready.wake, [weak = weak_from_this()](Status due) {
      auto self = weak.lock();
      if (!self) return;
      Ready next;
      std::deque<Waiter> cancelled;
      {
        std::lock_guard lock(self->mu_);
        self->wake_scheduled_ = false;
        if (due.ok()) {
          self->DispatchLocked(&next);
        } else {
          cancelled.swap(self->waiters_);  // the transport is gone: none would ever go
        }
      }
      for (Waiter& w : cancelled) w.go(due);
      self->Run(std::move(next));
    });
  }
  for (auto& [go, index] : ready.go) go(index);
}

void Pool::Release(int index, Outcome outcome, const http::Response& response) {
  Ready ready;
  {
    std::lock_guard lock(mu_);
    Endpoint& e = endpoints_[index];
    --e.in_flight;
    EndpointStats& s = e.stats;
    s.bytes_sent += response.bytes_sent;
    s.bytes_received += response.bytes_received;
    if (response.status > 0) {
      ++s.answered;
      s.latency_sum += response.timing.total;
      s.latency_max = std::max(s.latency_max, response.timing.total);
    }
    const double ceiling = std::max(1, options_.max_concurrency);
    const auto now = clock_->Now();
    const bool may_adjust = now - e.changed >= kAdjustWindow;
    switch (outcome) {
      case Outcome::kOk:
        e.down_backoff = milliseconds(200);
        ++e.window_ok;
        if (e.ok_window_start.time_since_epoch().count() == 0) e.ok_window_start = now;
        if (double span = std::chrono::duration<double>(now - e.ok_window_start).count();
            span >= 0.1) {
          e.ok_rate = e.window_ok / span;
          e.window_ok = 0;
          e.ok_window_start = now;
        }
        // Additive increase: one more after a window of healthy answers.
        if (++e.healthy >= static_cast<int>(e.limit)) {
          e.limit = std::min(ceiling, e.limit + 1);
          e.healthy = 0;
        }
        if (e.rate > 0 && may_adjust) {
          e.rate += std::max(1.0, e.rate * kRateIncrease);
          e.changed = now;
          // Far above what is sent: the rate no longer binds.
          if (e.rate > 4 * e.sent_rate + 100) e.rate = 0;
        }
        break;
      case Outcome::kThrottled:
      case Outcome::kTimeout:
        ++s.errors;
        ++(outcome == Outcome::kThrottled ? s.throttled : s.timeouts);
        e.healthy = 0;
        if (may_adjust) {
          e.limit = std::max(1.0, std::floor(e.limit / 2));  // multiplicative decrease
          if (outcome == Outcome::kThrottled) {
            // From the limit we had; the first time, from the rate measured.
            // (Not the rate measured later: while throttled requests wait
            // out their backoff, little is sent, and the limit would
            // collapse to that.)
            double base = e.rate > 0 ? e.rate : std::max(1.0, SentRate(e, now));
            e.rate = std::max(1.0, base * kRateDecrease);
            // What was answered lately is what is admitted: from far above
            // it, the limit comes down to it in one step.
            if (double admitted = AdmittedRate(e, now); admitted > 10) {
              e.rate = std::min(e.rate, admitted * kAdmittedShare);
            }
          }
          e.changed = now;
        }
        if (outcome == Outcome::kThrottled) break;
        [[fallthrough]];  // a timeout may be a hung gateway: stop sending it work
      case Outcome::kDown:
        if (outcome == Outcome::kDown) ++s.errors;
        ++s.down_events;
        e.down_until = clock_->Now() + e.down_backoff;
        e.down_backoff = std::min(milliseconds(5000), e.down_backoff * 2);
        break;
    }
    s.concurrency = static_cast<int>(e.limit);
    s.concurrency_min = std::min(s.concurrency_min, s.concurrency);
    s.concurrency_max = std::max(s.concurrency_max, s.concurrency);
    DispatchLocked(&ready);
  }
  Run(std::move(ready));
}

milliseconds Pool::Backoff(int attempt, milliseconds retry_after) const {
  int64_t base = options_.base_backoff.count() << std::min(attempt - 1, 16);
  base = std::min<int64_t>(base, options_.max_backoff.count());
  int64_t jittered = random_->Uniform(base / 2, std::max<int64_t>(base / 2, base));
  return std::max(milliseconds(jittered), retry_after);
}

bool Pool::AllDown() const {
  std::lock_guard lock(mu_);
  auto now = clock_->Now();
  return std::all_of(endpoints_.begin(), endpoints_.end(),
                     [&](const Endpoint& e) { return e.down_until > now; });
}

std::vector<EndpointStats> Pool::Stats() const {
  std::lock_guard lock(mu_);
  std::vector<EndpointStats> out;
  auto now = clock_->Now();
  for (const auto& e : endpoints_) {
    out.push_back(e.stats);
    out.back().down = e.down_until > now;
  }
  return out;
}

}  // namespace gwsync::gateway
