// The HTTP request/response values exchanged with a Transport, and the
// streaming body interfaces. Bodies are pulled (BodySource) and pushed
// (BodySink) in pieces on the transport's event-loop thread, so an object is
// never held whole in memory.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gwsync/status.h"

namespace gwsync::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The largest response body held in memory (an XML answer) unless a request
// says otherwise: a gateway cannot make the client grow without bound.
inline constexpr uint64_t kMaxBodyInMemory = 64ull << 20;

// Header names compare case-insensitively.
bool HeaderNameEquals(std::string_view a, std::string_view b);

// Returns the value of the first header named `name` (case-insensitive), or "".
std::string_view FindHeader(const Headers& headers, std::string_view name);

// A request body of known length. Called on the event-loop thread only.
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual uint64_t size() const = 0;
  // Fills up to buf.size() bytes; returns the count, 0 only at the end.
  virtual StatusOr<size_t> Read(std::span<char> buf) = 0;
  // Starts over from the first byte (a retry, or curl rewinding on redirect).
  virtual Status Rewind() = 0;
};

// Receives a response body in order. Called on the event-loop thread only,
// and only for 2xx responses: error bodies go to Response::body.
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual Status Write(std::string_view data) = 0;
  // Forgets what was written so a retry can write it again; false when it
  // cannot (a stream already passed on).
  virtual bool Restart() { return false; }
};

struct Request {
  std::string method = "GET";
  std::string url;  // absolute, already percent-encoded
  Headers headers;
  std::shared_ptr<BodySource> body;  // null: no body (Content-Length 0 for PUT/POST)
  std::shared_ptr<BodySink> sink;    // null: the body is collected in Response::body
  // The most 2xx body bytes `sink` accepts; more (or a Content-Length or
  // Content-Range announcing more) fails the request with kDataLoss instead
  // of writing on. 0: only what Content-Range announces. A body kept in
  // memory, and any error body, is capped at kMaxBodyInMemory
  // (kResourceExhausted).
  uint64_t max_body = 0;
  std::chrono::milliseconds connect_timeout{5000};
  // Aborted when fewer than 1 byte/s moved for this long (a hung gateway).
  std::chrono::milliseconds stall_timeout{60000};
  // The overall deadline, for a gateway that drips bytes and so never
  // stalls: the exchange ends with kDeadlineExceeded once it has taken
  // longer than stall_timeout + (body bytes + response bytes) / min_rate
  // (bytes/s), time paused by the transport's byte budgets left out. The
  // response's bytes are what its Content-Length announces once its headers
  // are in, else max_body; what came, if more. 0 (or no stall_timeout): no
  // such deadline.
  uint64_t min_rate = 0;
  std::chrono::milliseconds total_timeout{0};  // 0: none
};

// Where the time of one exchange went, in seconds from its start.
struct Timing {
  double connect = 0;  // TCP connect done (0 when a connection was reused)
  double ttfb = 0;     // first response byte
  double total = 0;
};

struct Response {
  // Non-OK when no complete HTTP exchange happened (refused, reset, timeout)
  // or when the body source or sink failed.
  Status transport;
  int status = 0;   // HTTP status code
  Headers headers;  // names lower-cased
  std::string body;
  Timing timing;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;

  std::string_view header(std::string_view name) const { return FindHeader(headers, name); }
};

using Callback = std::function<void(Response)>;
// Ok when it is due, kCancelled when the transport shut down first.
using TimerCallback = std::function<void(Status)>;

// The seam through which all HTTP goes, so tests and fault injection can
// stand in for the network. Implementations are safe to call from any thread.
//
// Every callback runs exactly once, also at shutdown: what is in flight or
// pending then completes with kCancelled (Response::transport), and so does
// what is sent or posted after. It may run before Send or Post returns (after
// shutdown), so never call them holding a lock the callback takes.
class Transport {
 public:
  virtual ~Transport() = default;
  // Starts `request`; `done` runs once, on the transport's own thread.
  virtual void Send(Request request, Callback done) = 0;
  // Runs `fn` on the transport's thread once `delay` has passed (retries
  // with backoff wait this way, never by blocking a thread), with Ok; with
  // kCancelled at shutdown.
  virtual void Post(std::chrono::milliseconds delay, TimerCallback fn) = 0;
  // Blocks the caller until the response arrives. Not for the event loop thread.
  Response SendAndWait(Request request);
};

}  // namespace gwsync::http
