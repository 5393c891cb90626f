#include "cli/context.h"

#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "api/resolve.h"
#include "gwsync/printable.h"

namespace gwsync::cli {

void WarnInsecure(const GlobalFlags& flags) {
  if (flags.insecure) {
    std::fprintf(stderr,
                 "gwsync: warning: --insecure: the gateway's TLS certificate is not checked; "
                 "anyone on the network path can read and change what is sent\n");
  }
}

StatusOr<transfer::TransferOptions> ResolveTransferOptions(const GlobalFlags& flags) {
  return api::ResolveTransferOptions(flags);
}

StatusOr<session::ClusterOptions> ResolveClusterOptions(const GlobalFlags& flags) {
  ASSIGN_OR_RETURN(s3::ClientOptions client, api::ResolveClientOptions(flags, api::Environment));
  WarnInsecure(flags);
  session::ClusterOptions o;
  o.client = std::move(client);
  ASSIGN_OR_RETURN(o.transport, api::ResolveTransportOptions(flags, api::Environment));
  return o;
}

StatusOr<std::unique_ptr<Context>> Context::Create(const GlobalFlags& flags, const Adjust& adjust) {
  ASSIGN_OR_RETURN(s3::ClientOptions options, api::ResolveClientOptions(flags, api::Environment));
  auto ctx = std::unique_ptr<Context>(new Context());
  ASSIGN_OR_RETURN(ctx->transfer_, api::ResolveTransferOptions(flags));
  WarnInsecure(flags);
  ASSIGN_OR_RETURN(http::TransportOptions topts,
                   api::ResolveTransportOptions(flags, api::Environment));
  if (adjust) adjust(&options, &topts);
  ASSIGN_OR_RETURN(ctx->transport_, http::CurlTransport::Create(topts));
  ctx->client_ = std::make_unique<s3::Client>(ctx->transport_.get(), std::move(options));
  return ctx;
}

Context::~Context() {
  if (transport_) transport_->Shutdown(session::kShutdownGrace);
}

int Fail(const Status& status) {
  // Messages name keys, and keys may hold escape sequences.
  std::fprintf(stderr, "gwsync: %s\n", Printable(status.message()).c_str());
  return status.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

void Say(const GlobalFlags& flags, const std::string& line) {
  if (!flags.quiet) std::printf("%s\n", Printable(line).c_str());
}

bool StdoutClosed() {
  // The write end of a pipe without a reader polls as an error.
  pollfd p{STDOUT_FILENO, POLLOUT, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

void EndOnClosedStdout() {
  std::signal(SIGPIPE, SIG_DFL);
  std::raise(SIGPIPE);
  _exit(128 + SIGPIPE);  // only if SIGPIPE is blocked
}

}  // namespace gwsync::cli
