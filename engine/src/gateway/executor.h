// Executor runs one request through its attempts: it takes an endpoint from
// the Pool, builds (and so signs) the request afresh for it, sends it through
// the Transport, tells the Pool how it went, and decides whether to try again:
//
// - 503 SlowDown and 429 are retried with growing waits for the pool's
//   throttle budget (up to max_throttled_attempts); 500, 502, 504 and
//   timeouts up to max_attempts;
// - a refused or reset connection marks the endpoint down and goes to another
//   endpoint at once; with every endpoint down it is final after
//   Pool::kDownAttempts;
// - Retry-After is honoured, up to 60 s;
// - any other answer is final, 413 included (the caller shrinks its parts);
// - a retry needs the body rewound and the sink restarted (after 2xx bytes),
//   and a call that is not idempotent is never sent again once it may have
//   reached the gateway.
//
// The Executor knows nothing of S3. Safe from any thread; `done` runs once,
// on the transport's thread (see Transport for after its shutdown), with
// kCancelled when the transport shuts down before the request is done.
#pragma once

#include <functional>
#include <memory>

#include "gateway/pool.h"
#include "http/request.h"

namespace gwsync::gateway {

enum class Idempotency {
  // Sending it twice does no harm: retried whenever the outcome allows.
  kIdempotent,
  // Retried only when it cannot have reached the gateway: no byte sent and
  // no status back (CompleteMultipartUpload may have completed the object).
  kNotAfterSend,
};

// How a request went, as its last attempt left it.
struct AttemptInfo {
  int endpoint = -1;  // the pool's index of the endpoint of the last attempt
  int attempts = 0;   // HTTP requests sent, retries included
  int http_status = 0;
  Status transport;  // non-OK: no complete exchange (refused, reset, timeout)
  http::Timing timing;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
};

// One request, as the Executor needs it.
struct Call {
  // The request for endpoint `index`, built and signed for each attempt.
  std::function<http::Request(int index)> build;
  Idempotency idempotency = Idempotency::kIdempotent;
  // Rewound before a retry (null: none, or one `build` makes afresh); a body
  // that cannot rewind is not retried.
  std::shared_ptr<http::BodySource> body;
  // Restarted before a retry that follows 2xx bytes written to it; a sink
  // that cannot restart is not retried.
  std::shared_ptr<http::BodySink> sink;
};

class Executor {
 public:
  using Done = std::function<void(http::Response, const AttemptInfo&)>;

  // Neither is owned; both must outlive every request run. The pool's clock
  // times the throttle budget.
  Executor(Pool* pool, http::Transport* transport) : pool_(pool), transport_(transport) {}

  // Runs `call` to its final answer (or error) and passes it to `done`.
  void Run(Call call, Done done) const;

 private:
  struct Request;
  void Attempt(std::shared_ptr<Request> request) const;
  void Finish(const std::shared_ptr<Request>& request, int index, http::Response response) const;
  void Cancel(Request& request, Status why, int sent) const;

  Pool* pool_;
  http::Transport* transport_;
};

}  // namespace gwsync::gateway
