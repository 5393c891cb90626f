// A misbehaving HTTP server on 127.0.0.1 for tests of the real transport:
// it accepts connections and reads each request's head, then, per its
// Behaviour, never answers, answers late, or drips its body a few bytes at
// a time. Each connection is served on a thread of its own; the destructor
// closes every socket and joins them. Safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gwsync::testing {

class LoopbackServer {
 public:
  struct Behaviour {
    // Before the status line (a gateway that thinks for a while); 0: at once.
    // hours(1): never answers (a hung gateway).
    std::chrono::milliseconds answer_after{0};
    int status = 200;
    uint64_t body_bytes = 0;  // sent with Content-Length
    // Body bytes per second (in pieces of `drip_piece` bytes); 0: all at once.
    uint64_t drip_rate = 0;
    uint64_t drip_piece = 1;
    std::string headers = "";  // more header lines, each ending "\r\n"
  };
  static Behaviour Silent() { return {.answer_after = std::chrono::hours(1)}; }

  explicit LoopbackServer(Behaviour behaviour);
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // "127.0.0.1:PORT".
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url(const std::string& path = "/b/k") const { return "http://" + host() + path; }
  // Requests whose head was read so far.
  int requests() const { return requests_.load(); }
  // Blocks until `n` request heads were read, or `timeout` passed; false then.
  bool WaitForRequests(int n, std::chrono::milliseconds timeout) const;

 private:
  void Accept();
  void Serve(int fd);
  // Sleeps until `d` passed or the server stops; false when it stops.
  bool Sleep(std::chrono::steady_clock::duration d) const;

  Behaviour behaviour_;
  int listener_ = -1;
  int stop_pipe_[2] = {-1, -1};  // readable once the server stops
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> connections_;  // guarded by mu_
  std::vector<int> fds_;                  // guarded by mu_
};

}  // namespace gwsync::testing
