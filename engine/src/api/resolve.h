// gwsync::GatewayOptions (gwsync/gateway.h) resolved into the engine's own
// settings: flags first, then the environment, then s3cmd's configuration
// file, with the first error a user can act on ("no credentials: ...").
// `env` looks up environment variables (Environment, or a seam for tests).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "gwsync/gateway.h"
#include "http/event_loop.h"
#include "s3/client.h"
#include "session/session.h"
#include "transfer/object_transfer.h"

namespace gwsync::api {

using EnvLookup = std::function<std::optional<std::string>(const char*)>;

// The process's environment (getenv).
std::optional<std::string> Environment(const char* name);

// The gateways, keys, signature, region, request limits and timeouts.
StatusOr<s3::ClientOptions> ResolveClientOptions(const GatewayOptions& gateway,
                                                 const EnvLookup& env);

// Part size, multipart threshold (both capped by max_body_size), parallel parts.
StatusOr<transfer::TransferOptions> ResolveTransferOptions(const GatewayOptions& gateway);

// TLS (insecure, ca_bundle or AWS_CA_BUNDLE, which must be readable) and bandwidth limits.
StatusOr<http::TransportOptions> ResolveTransportOptions(const GatewayOptions& gateway,
                                                         const EnvLookup& env);

// The client and transport settings together (a sync's default cluster).
StatusOr<session::ClusterOptions> ResolveClusterOptions(const GatewayOptions& gateway,
                                                        const EnvLookup& env);

}  // namespace gwsync::api
