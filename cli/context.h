// What every command shares: the global flags, their resolution into client
// options (flags, then AWS_* environment variables, then an s3cmd config
// file), and the transport and client built from them. Used on the main
// thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gwsync/gateway.h"
#include "http/event_loop.h"
#include "s3/client.h"
#include "session/session.h"
#include "transfer/object_transfer.h"

namespace gwsync::cli {

// The gateway flags are the library's GatewayOptions (gwsync/gateway.h):
// the command line and a program using the library resolve them alike.
struct GlobalFlags : GatewayOptions {
  bool quiet = false;
  bool allow_core_dumps = false;
};

// With --insecure: a warning on stderr, said each time the TLS settings are
// resolved (a command that hands GlobalFlags to the library says it itself).
void WarnInsecure(const GlobalFlags& flags);

StatusOr<transfer::TransferOptions> ResolveTransferOptions(const GlobalFlags& flags);

// The client and transport settings together (the default cluster of a sync).
StatusOr<session::ClusterOptions> ResolveClusterOptions(const GlobalFlags& flags);

class Context {
 public:
  // `adjust` may change the resolved options before the client is built
  // (bench turns retries off and sizes the pool for its concurrency).
  using Adjust = std::function<void(s3::ClientOptions*, http::TransportOptions*)>;
  static StatusOr<std::unique_ptr<Context>> Create(const GlobalFlags& flags,
                                                   const Adjust& adjust = nullptr);
  // Shuts the transport down (session::kShutdownGrace) before the client goes:
  // a request still in flight (an upload's abort) completes into it.
  ~Context();
  const s3::Client& client() const { return *client_; }
  const transfer::TransferOptions& transfer() const { return transfer_; }

 private:
  Context() = default;
  std::unique_ptr<http::CurlTransport> transport_;
  std::unique_ptr<s3::Client> client_;
  transfer::TransferOptions transfer_;
};

// Prints "gwsync: MESSAGE" on stderr and returns the exit code for `status`.
int Fail(const Status& status);
// Prints a line on stdout unless quiet.
void Say(const GlobalFlags& flags, const std::string& line);

// True when stdout is a pipe or socket whose reader has gone (`| head`).
bool StdoutClosed();
// Ends the process the way a closed pipe ends `cat`: by SIGPIPE, without a
// message (the shell sees 141). A reader that stopped early is not an error.
[[noreturn]] void EndOnClosedStdout();

}  // namespace gwsync::cli
