// What every command shares: the global flags, their resolution into client
// options (flags, then AWS_* environment variables, then an s3cmd config
// file), and the transport and client built from them. Used on the main
// thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/event_loop.h"
#include "s3/client.h"
#include "sync/session.h"
#include "transfer/object_transfer.h"

namespace gwsync::cli {

struct GlobalFlags {
  std::vector<std::string> endpoints;
  std::string access_key;
  std::string secret_key;
  std::string secret_key_file;  // the secret key's first line, kept out of `ps`
  std::string signature;        // "v2", "v4" or empty
  std::string region;
  std::string config_file;
  std::string part_size = "16MiB";
  std::string multipart_threshold = "64MiB";
  int concurrency = 0;           // requests in flight; 0: the command's default
  double rps = 0;                // requests/s over all gateways
  double endpoint_rps = 0;       // requests/s per gateway
  std::string bwlimit;           // bytes/s over all gateways, e.g. "50M"
  std::string endpoint_bwlimit;  // bytes/s per gateway
  std::string max_body_size;
  int timeout = 60;  // seconds a request may stall before it is retried
  // bytes/s: each request must end within --timeout + its bytes at this rate
  std::string min_rate = "16KiB";
  uint64_t list_limit = 0;  // keys one listing may return; 0: from the bucket's count
  bool quiet = false;
  bool insecure = false;
  std::string ca_bundle;  // PEM CAs to trust (or AWS_CA_BUNDLE)
  bool allow_core_dumps = false;
};

// Resolves the gateway and credentials, or says exactly what is missing.
// `env` looks up environment variables (a seam for tests).
StatusOr<s3::ClientOptions> ResolveClientOptions(
    const GlobalFlags& flags, const std::function<std::optional<std::string>(const char*)>& env);

StatusOr<transfer::TransferOptions> ResolveTransferOptions(const GlobalFlags& flags);

// The client and transport settings together (the default cluster of a sync).
StatusOr<sync::ClusterOptions> ResolveClusterOptions(const GlobalFlags& flags);

class Context {
 public:
  // `adjust` may change the resolved options before the client is built
  // (bench turns retries off and sizes the pool for its concurrency).
  using Adjust = std::function<void(s3::ClientOptions*, http::TransportOptions*)>;
  static StatusOr<std::unique_ptr<Context>> Create(const GlobalFlags& flags,
                                                   const Adjust& adjust = nullptr);
  // Shuts the transport down (sync::kShutdownGrace) before the client goes:
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
