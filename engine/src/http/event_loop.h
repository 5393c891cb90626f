// CurlTransport is the engine's HTTP client: one thread drives a libcurl multi
// handle, so many requests are in flight at once over keep-alive connections
// reused per host, with bodies streamed through BodySource/BodySink.
// Send() is safe from any thread; completion callbacks run on the loop thread
// and must not block.
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
  ~CurlTransport() override;  // cancels what is still in flight, then joins the loop

  void Send(Request request, Callback done) override;
  void Post(std::chrono::milliseconds delay, std::function<void()> fn) override;

 private:
  struct Impl;
  explicit CurlTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gwsync::http
