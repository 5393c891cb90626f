#include "gateway/executor.h"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace gwsync::gateway {

// One request across its attempts.
struct Executor::Request {
  Call call;
  Done done;
  int attempt = 0;
  int last_endpoint = -1;
  Clock::TimePoint first{};  // of the first attempt
};

namespace {

Outcome Classify(const http::Response& r) {
  if (!r.transport.ok()) {
    switch (r.transport.code()) {
      case StatusCode::kUnavailable:
        return Outcome::kDown;  // refused, reset, unreachable
      case StatusCode::kDeadlineExceeded:
        return Outcome::kTimeout;
      default:
        return Outcome::kOk;  // a local failure (body, disk): not the gateway's
    }
  }
  switch (r.status) {
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return Outcome::kThrottled;
    default:
      return Outcome::kOk;
  }
}

std::chrono::milliseconds RetryAfter(const http::Response& r) {
  std::string_view v = r.header("retry-after");
  int seconds = 0;
  std::from_chars(v.data(), v.data() + v.size(), seconds);
  return std::chrono::milliseconds(std::clamp(seconds, 0, 60) * 1000);
}

// A retry must be able to send the same bytes and take the answer afresh,
// and must not repeat what may have taken effect.
bool CanRetry(const Call& call, const http::Response& r) {
  if (call.idempotency == Idempotency::kNotAfterSend && (r.status > 0 || r.bytes_sent > 0)) {
    return false;
  }
  if (call.body && !call.body->Rewind().ok()) return false;
  if (call.sink && r.bytes_received > 0 && r.status >= 200 && r.status < 300 &&
      !call.sink->Restart()) {
    return false;
  }
  return true;
}

}  // namespace

void Executor::Run(Call call, Done done) const {
  auto request = std::make_shared<Request>();
  request->call = std::move(call);
  request->done = std::move(done);
  Attempt(std::move(request));
}

void Executor::Attempt(std::shared_ptr<Request> a) const {
  if (++a->attempt == 1) a->first = pool_->clock().Now();
  pool_->Acquire(a->last_endpoint, [this, a](StatusOr<int> index) {
    if (!index.ok()) return Cancel(*a, index.status(), a->attempt - 1);  // this one never went
    a->last_endpoint = *index;
    transport_->Send(a->call.build(*index), [this, a, index = *index](http::Response r) {
      Finish(a, index, std::move(r));
    });
  });
}

// The transport shut down between attempts (a backoff, a wait for an
// endpoint): the request ends with its status after `sent` attempts.
void Executor::Cancel(Request& a, Status why, int sent) const {
  http::Response r;
  r.transport = std::move(why);
  AttemptInfo info;
  info.endpoint = a.last_endpoint;
  info.attempts = sent;
  info.transport = r.transport;
  a.done(std::move(r), info);
}

void Executor::Finish(const std::shared_ptr<Request>& a, int index, http::Response r) const {
  Outcome outcome = Classify(r);
  pool_->Release(index, outcome, r);
  int limit = pool_->max_attempts();
  if (outcome == Outcome::kDown && pool_->AllDown()) {
    limit = std::min(limit, Pool::kDownAttempts);
  }
  if (outcome == Outcome::kThrottled && (r.status == 503 || r.status == 429) &&
      pool_->clock().Now() - a->first < pool_->throttle_budget()) {
    // Throttling: retried over time, not given up after a quick burst.
    limit = std::max(limit, pool_->max_throttled_attempts());
  }
  if (outcome != Outcome::kOk && a->attempt < limit && CanRetry(a->call, r)) {
    auto wait = pool_->Backoff(a->attempt, RetryAfter(r));
    // A gateway that is down: another one can take the retry at once.
    if (outcome == Outcome::kDown && pool_->size() > 1) wait = {};
    transport_->Post(wait, [this, a](Status due) {
      if (!due.ok()) return Cancel(*a, std::move(due), a->attempt);
      Attempt(a);
    });
    return;
  }
  AttemptInfo info{index,    a->attempt,   r.status,        r.transport,
                   r.timing, r.bytes_sent, r.bytes_received};
  a->done(std::move(r), info);
}

}  // namespace gwsync::gateway
