#include "http/socket_set.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace gwsync::http::internal {

SocketSet::Watch& SocketSet::WatchOf(curl_socket_t s) {
  if (static_cast<size_t>(s) >= watches_.size()) watches_.resize(static_cast<size_t>(s) + 64);
  return watches_[static_cast<size_t>(s)];
}

void SocketSet::Unwatch(curl_socket_t s, Watch& w) {
  if (w.in_set) epoll_ctl(epoll_fd, EPOLL_CTL_DEL, s, nullptr);
  w.in_set = false;
}

int SocketSet::OnSocket(CURL*, curl_socket_t s, int what, void* set, void*) {
  auto* self = static_cast<SocketSet*>(set);
  Watch& w = self->WatchOf(s);
  if (what == CURL_POLL_REMOVE) {
    w.wanted = false;
    if (!w.connection) self->Unwatch(s, w);  // may be closed without OnClose
    return 0;
  }
  w.wanted = true;
  uint32_t events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
  if (w.in_set && w.events == events) return 0;
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = s;
  if (epoll_ctl(self->epoll_fd, w.in_set ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev) != 0 &&
      // The set knew better (a descriptor closed and reused behind our back).
      epoll_ctl(self->epoll_fd, w.in_set ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, s, &ev) != 0) {
    return -1;
  }
  w.in_set = true;
  w.events = events;
  return 0;
}

curl_socket_t SocketSet::OnOpen(void* set, curlsocktype, curl_sockaddr* addr) {
  int s = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
  if (s < 0) return CURL_SOCKET_BAD;
  static_cast<SocketSet*>(set)->WatchOf(s) = Watch{.connection = true};
  return s;
}

// Closing a descriptor takes it out of every epoll set.
int SocketSet::OnClose(void* set, curl_socket_t s) {
  static_cast<SocketSet*>(set)->WatchOf(s) = Watch{};
  return close(s);
}

bool SocketSet::Wanted(int fd) {
  Watch& w = WatchOf(fd);
  if (!w.wanted) Unwatch(fd, w);
  return w.wanted;
}

}  // namespace gwsync::http::internal
