#include "cli/app.h"

#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "gwsync/printable.h"

namespace gwsync::cli {

void WarnInsecure(const GlobalFlags& flags) {
  if (flags.insecure) {
    std::fprintf(stderr,
                 "gwsync: warning: --insecure: the gateway's TLS certificate is not checked; "
                 "anyone on the network path can read and change what is sent\n");
  }
}

StatusOr<std::unique_ptr<Gateway>> OpenGateway(const GlobalFlags& flags) {
  WarnInsecure(flags);
  return Gateway::Open(flags);
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
