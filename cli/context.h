// The engine's own settings resolved from the global flags (flags, then
// AWS_* environment variables, then an s3cmd config file), and a client on
// an opened gwsync::Gateway, for the commands not yet built on the public
// surface alone (sync, shard-plan, feed). Used on the main thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/app.h"
#include "http/event_loop.h"
#include "s3/client.h"
#include "session/session.h"
#include "transfer/object_transfer.h"

namespace gwsync::cli {

StatusOr<transfer::TransferOptions> ResolveTransferOptions(const GlobalFlags& flags);

// The client and transport settings together (the default cluster of a
// sync), after WarnInsecure.
StatusOr<session::ClusterOptions> ResolveClusterOptions(const GlobalFlags& flags);

// A Gateway (OpenGateway) and the engine's client on it. The Gateway shuts
// its transport down (session::kShutdownGrace) before the client goes: a
// request still in flight (an upload's abort) completes into it.
class Context {
 public:
  static StatusOr<std::unique_ptr<Context>> Create(const GlobalFlags& flags);
  const s3::Client& client() const;
  const transfer::TransferOptions& transfer() const;

 private:
  explicit Context(std::unique_ptr<Gateway> gateway) : gateway_(std::move(gateway)) {}
  std::unique_ptr<Gateway> gateway_;
};

}  // namespace gwsync::cli
