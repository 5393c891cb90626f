// The epoll set of the sockets libcurl waits on, kept in step with it
// through its socket callbacks. A connection's socket (one curl opened
// through OnOpen) stays in the set while the connection idles between
// requests, so a keep-alive request costs no epoll_ctl; it leaves the set
// when curl closes it, or when it stirs while idle. Loop thread only; not
// part of the module's interface.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <vector>

namespace gwsync::http::internal {

class SocketSet {
 public:
  int epoll_fd = -1;  // not owned

  // curl's hooks, each with this set as its data pointer:
  // CURLMOPT_SOCKETFUNCTION (-1 when the set cannot watch the socket: curl
  // then fails its transfers, which would otherwise never move),
  // CURLOPT_OPENSOCKETFUNCTION and CURLOPT_CLOSESOCKETFUNCTION.
  static int OnSocket(CURL*, curl_socket_t s, int what, void* set, void*);
  static curl_socket_t OnOpen(void* set, curlsocktype, curl_sockaddr* addr);
  static int OnClose(void* set, curl_socket_t s);

  // For an event on `fd`: true when curl waits on it; otherwise (an idle
  // connection closing, or sending out of turn) it leaves the set.
  bool Wanted(int fd);

 private:
  struct Watch {
    bool connection = false;  // opened by OnOpen, closed by OnClose
    bool in_set = false;
    uint32_t events = 0;  // as in the set
    bool wanted = false;  // curl waits on it
  };
  Watch& WatchOf(curl_socket_t s);
  void Unwatch(curl_socket_t s, Watch& w);

  std::vector<Watch> watches_;  // by descriptor
};

}  // namespace gwsync::http::internal
