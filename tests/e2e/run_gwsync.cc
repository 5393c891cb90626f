#include "e2e/run_gwsync.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <utility>

namespace gwsync::e2e {

constexpr auto kRunLimit = std::chrono::seconds(30);

std::ostream& operator<<(std::ostream& os, const Result& r) {
  return os << "`" << r.command << "` exited " << r.exit_code << "\nstderr: " << r.err
            << "\nstdout (" << r.out.size() << " bytes): " << r.out.substr(0, 500);
}

// stdout and stderr are polled together with stdin, so no pipe can fill up
// and stall the child.
// NOLINTNEXTLINE(readability-function-size): spawn and poll share descriptors, deadline
Result Run(const std::string& bin, const std::vector<std::string>& args, const Env& env,
           const std::string& input) {
  Result r;
  r.command = "gwsync";
  std::vector<std::string> argv_s{bin};
  for (const auto& a : args) {
    argv_s.push_back(a);
    r.command += " " + a;
  }
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  auto c_strings = [](std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
  };
  std::vector<char*> argv = c_strings(argv_s), envp = c_strings(env_s);

  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2 failed";
    return r;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  auto start = std::chrono::steady_clock::now();
  int spawned = posix_spawn(&pid, bin.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (spawned != 0) {
    ADD_FAILURE() << "cannot run " << bin << ": " << std::strerror(spawned);
    close(in[1]);
    close(out[0]);
    close(err[0]);
    return r;
  }

  // A child that exits without reading all its input must fail the test,
  // not kill the test process with SIGPIPE.
  static const bool sigpipe_ignored = std::signal(SIGPIPE, SIG_IGN) != SIG_ERR;
  (void)sigpipe_ignored;
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  int to_child = in[1];
  size_t written = 0;
  if (input.empty()) close(std::exchange(to_child, -1));
  int from[2] = {out[0], err[0]};
  std::string* sink[2] = {&r.out, &r.err};
  auto deadline = start + kRunLimit;
  bool killed = false;
  char buf[1 << 16];
  while (from[0] >= 0 || from[1] >= 0) {
    pollfd fds[3] = {{from[0], POLLIN, 0}, {from[1], POLLIN, 0}, {to_child, POLLOUT, 0}};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      killed = true;
      break;
    }
    if (poll(fds, 3, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (from[i] < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(from[i], buf, sizeof buf);
      if (n > 0) {
        sink[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EAGAIN) {
        close(std::exchange(from[i], -1));
      }
    }
    if (to_child >= 0 && fds[2].revents) {
      ssize_t n = write(to_child, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      // Done, or the child stopped reading (EPIPE): either way, no more input.
      if (written == input.size() || (n < 0 && errno != EAGAIN)) close(std::exchange(to_child, -1));
    }
  }
  for (int fd : {from[0], from[1], to_child}) {
    if (fd >= 0) close(fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (killed) ADD_FAILURE() << r << "\nstill running after " << kRunLimit.count() << " s: killed";
  return r;
}

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) {
    return ::testing::AssertionSuccess() << "'" << text << "' contains '" << part << "'";
  }
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool HasLineEndingWith(const std::string& text, const std::string& suffix) {
  for (const auto& l : Lines(text)) {
    if (l.size() >= suffix.size() &&
        l.compare(l.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  }
  return false;
}

std::string ExpectOneErrorLine(const Result& r) {
  EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 2) << r;
  EXPECT_EQ(r.out, "") << r;
  EXPECT_EQ(r.err.rfind("gwsync: ", 0), 0u) << r;
  EXPECT_TRUE(!r.err.empty() && r.err.back() == '\n' && r.err.find('\n') == r.err.size() - 1)
      << "expected exactly one line on stderr; " << r;
  return r.err.substr(0, r.err.find('\n'));
}

void ExpectOk(const Result& r) {
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.err, "") << r;
}

std::string GwsyncBin() {
  const char* bin = std::getenv("GWSYNC_BIN");
  if (!bin || !*bin) {
    ADD_FAILURE() << "GWSYNC_BIN is not set: it must name the gwsync binary to test "
                     "(tools/test.sh sets it)";
    return "";
  }
  if (access(bin, X_OK) != 0) {
    ADD_FAILURE() << "GWSYNC_BIN=" << bin << " is not executable";
    return "";
  }
  return bin;
}

}  // namespace gwsync::e2e
