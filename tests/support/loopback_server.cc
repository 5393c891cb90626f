#include "support/loopback_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string_view>

namespace gwsync::testing {

LoopbackServer::LoopbackServer(Behaviour behaviour) : behaviour_(behaviour) {
  if (pipe2(stop_pipe_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(listener_, 128) != 0 ||
      getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

LoopbackServer::~LoopbackServer() {
  char one = 1;
  while (write(stop_pipe_[1], &one, 1) < 0 && errno == EINTR) {
  }
  acceptor_.join();
  std::vector<std::thread> connections;
  {
    std::lock_guard lock(mu_);
    connections.swap(connections_);
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : connections) t.join();
  for (int fd : fds_) close(fd);
  close(listener_);
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
}

bool LoopbackServer::WaitForRequests(int n, std::chrono::milliseconds timeout) const {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (requests_.load() < n) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

bool LoopbackServer::Sleep(std::chrono::steady_clock::duration d) const {
  pollfd p{stop_pipe_[0], POLLIN, 0};
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
  int timeout = static_cast<int>(std::min<int64_t>(ms, 1 << 30));
  int n;
  while ((n = poll(&p, 1, timeout)) < 0 && errno == EINTR) {
  }
  return n == 0;
}

void LoopbackServer::Accept() {
  for (;;) {
    pollfd p[2] = {{listener_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents) return;
    int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mu_);
    fds_.push_back(fd);
    connections_.emplace_back([this, fd] { Serve(fd); });
  }
}

void LoopbackServer::Serve(int fd) {
  std::string in;
  char buf[4096];
  for (;;) {  // one request after another on a kept-alive connection
    size_t end;
    while ((end = in.find("\r\n\r\n")) == std::string::npos) {
      pollfd p[2] = {{fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
      if (poll(p, 2, -1) < 0 && errno != EINTR) return;
      if (p[1].revents) return;
      if (!p[0].revents) continue;
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
    // A request body is read and dropped (Content-Length only).
    uint64_t body = 0;
    std::string_view head(in.data(), end);
    if (size_t at = head.find("Content-Length: "); at != std::string_view::npos) {
      body = std::stoull(std::string(head.substr(at + 16, head.find("\r\n", at) - at - 16)));
    }
    in.erase(0, end + 4);
    while (in.size() < body) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
    in.erase(0, body);
    requests_.fetch_add(1);

    if (!Sleep(behaviour_.answer_after)) return;
    std::string answer = "HTTP/1.1 " + std::to_string(behaviour_.status) +
                         " X\r\nContent-Length: " + std::to_string(behaviour_.body_bytes) + "\r\n" +
                         behaviour_.headers + "\r\n";
    if (behaviour_.drip_rate == 0) answer.append(behaviour_.body_bytes, 'x');
    if (send(fd, answer.data(), answer.size(), MSG_NOSIGNAL) < 0) return;
    if (behaviour_.drip_rate == 0) continue;
    const uint64_t piece = std::max<uint64_t>(1, behaviour_.drip_piece);
    const auto every = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(static_cast<double>(piece) / behaviour_.drip_rate));
    for (uint64_t sent = 0; sent < behaviour_.body_bytes; sent += piece) {
      if (!Sleep(every)) return;
      std::string bytes(std::min(piece, behaviour_.body_bytes - sent), 'x');
      if (send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) return;
    }
  }
}

}  // namespace gwsync::testing
