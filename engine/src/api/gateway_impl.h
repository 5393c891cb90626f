// The engine's side of a gwsync::Gateway (gwsync/gateway.h): the transport
// and the client built on it, and the transfer settings, for the api/
// functions that take a Gateway (and tests/api).
#pragma once

#include <functional>
#include <memory>

#include "gwsync/gateway.h"
#include "http/event_loop.h"
#include "s3/client.h"
#include "transfer/object_transfer.h"

namespace gwsync {

// Members in this order: the client is destroyed after the transport, which
// ~Gateway shuts down first (a request in flight completes into the client).
struct Gateway::Impl {
  std::unique_ptr<http::CurlTransport> transport;
  std::unique_ptr<s3::Client> client;
  transfer::TransferOptions transfer;
};

namespace api {

struct GatewayAccess {
  // Gateway::Open, with a last say on the resolved settings before the
  // transport and client are built (bench turns retries off and sizes the
  // pool for its concurrency; doctor allows two attempts).
  using Adjust = std::function<void(s3::ClientOptions*, http::TransportOptions*)>;
  static StatusOr<std::unique_ptr<Gateway>> Open(const GatewayOptions& options,
                                                 const Adjust& adjust);
  static const s3::Client& Client(const Gateway& gateway) { return *gateway.impl_->client; }
  static const transfer::TransferOptions& Transfer(const Gateway& gateway) {
    return gateway.impl_->transfer;
  }
};

}  // namespace api
}  // namespace gwsync
