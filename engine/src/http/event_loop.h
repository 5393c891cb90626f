// CurlTransport is the engine's HTTP client: one thread drives a libcurl multi
// handle, so many requests are in flight at once over keep-alive connections
// reused per host, with bodies streamed through BodySource/BodySink.
// Send() and Post() are safe from any thread; their callbacks run on the loop
// thread and must not block.
//
// Shutdown drains it: callbacks still run on the loop thread, with
// kCancelled, until nothing is left, and what they send or post then is
// refused and completed by the loop in turn, never nested. Once Shutdown has
// returned the loop is gone, and Send and Post complete at once on the
// caller's thread (after the callback running there, if called from one).
#pragma once

#include <memory>

#include "http/request.h"

namespace gwsync::http {

struct TransportOptions {
  int max_connections_per_host = 64;  // 0: unlimited
  int max_total_connections = 256;
  bool verify_tls = true;
  // PEM file of the CAs to trust instead of the system's (a private CA);
  // empty: the system store.
  std::string ca_bundle;
  std::string user_agent = "gwsync/0.1";
  uint64_t bytes_per_second = 0;           // request and response bodies together; 0: unlimited
  uint64_t endpoint_bytes_per_second = 0;  // the same, per scheme://host:port
};

class CurlTransport final : public Transport {
 public:
  static StatusOr<std::unique_ptr<CurlTransport>> Create(const TransportOptions& options = {});
  ~CurlTransport() override;  // Shutdown(0)

  // Stops the loop and returns once every callback has run: timers and
  // later Sends and Posts complete with kCancelled at once, requests
  // already sent get up to `grace` to finish (an abort of an upload at
  // exit), then are cancelled. Idempotent; from any thread but the loop's
  // (not from a callback). Call it before anything the callbacks use is
  // destroyed.
  void Shutdown(std::chrono::milliseconds grace);

  void Send(Request request, Callback done) override;
  void Post(std::chrono::milliseconds delay, TimerCallback fn) override;

 private:
  struct Impl;
  explicit CurlTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gwsync::http
