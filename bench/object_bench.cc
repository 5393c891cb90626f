// The client's whole per-object path, PutObject and GetObject of 4 KiB with
// 32 in flight through s3::Client and CurlTransport, against a stand-in
// HTTP/1.1 keep-alive server on 127.0.0.1. The server runs in a child
// process forked before anything else, so the process CPU counted here
// (getrusage) is the client's alone: the feeding thread, the curl loop and
// the completion callbacks.
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "hash/hash.h"
#include "http/bodies.h"
#include "http/event_loop.h"
#include "s3/client.h"
#include "util/slots.h"

namespace gwsync {
namespace {

constexpr size_t kObjectSize = 4096;
constexpr int kInFlight = 32;

// ---------------------------------------------------------------- server
// One epoll thread: answers PUT with ETag = MD5 of the body, GET with a
// 4 KiB body, anything else with an empty 200. Requests are parsed only as
// far as this client sends them (Content-Length bodies, no chunking).

struct Conn {
  std::string in, out;
};

size_t ContentLength(std::string_view head) {
  for (size_t at = head.find('\n'); at != std::string_view::npos; at = head.find('\n', at + 1)) {
    std::string_view line = head.substr(at + 1, 16);
    if (line.size() == 16 && strncasecmp(line.data(), "content-length: ", 16) == 0) {
      return std::strtoull(head.data() + at + 17, nullptr, 10);
    }
  }
  return 0;
}

// Appends the answers to the complete requests in c->in and drops them.
void Answer(Conn* c, const std::string& get_reply) {
  size_t done = 0;
  for (;;) {
    std::string_view rest(c->in.data() + done, c->in.size() - done);
    size_t end = rest.find("\r\n\r\n");
    if (end == std::string_view::npos) break;
    size_t body = ContentLength(rest.substr(0, end + 2));
    if (rest.size() < end + 4 + body) break;
    if (rest.starts_with("PUT ")) {
      std::string etag = hash::Hex(hash::Md5(rest.substr(end + 4, body)));
      c->out += "HTTP/1.1 200 OK\r\nETag: \"" + etag + "\"\r\nContent-Length: 0\r\n\r\n";
    } else if (rest.starts_with("GET ")) {
      c->out += get_reply;
    } else {
      c->out += "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    }
    done += end + 4 + body;
  }
  c->in.erase(0, done);
}

[[noreturn]] void Serve(int listener) {
  std::string object(kObjectSize, 'x');
  std::string get_reply = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kObjectSize) +
                          "\r\nETag: \"" + hash::Hex(hash::Md5(object)) +
                          "\"\r\nLast-Modified: Wed, 01 Jan 2025 12:00:00 GMT\r\n"
                          "Content-Type: application/octet-stream\r\n\r\n" +
                          object;
  int ep = epoll_create1(0);
  epoll_event ev{.events = EPOLLIN, .data = {.fd = listener}};
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  std::unordered_map<int, Conn> conns;
  epoll_event events[64];
  char buf[64 * 1024];
  for (;;) {
    int n = epoll_wait(ep, events, 64, -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == listener) {
        int c = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
        if (c < 0) continue;
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        epoll_event cev{.events = EPOLLIN, .data = {.fd = c}};
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        conns[c];
        continue;
      }
      Conn& c = conns[fd];
      bool closed = false;
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        for (;;) {
          ssize_t got = read(fd, buf, sizeof(buf));
          if (got > 0) {
            c.in.append(buf, static_cast<size_t>(got));
            continue;
          }
          closed = got == 0 || errno != EAGAIN;
          break;
        }
        Answer(&c, get_reply);
      }
      while (!closed && !c.out.empty()) {
        ssize_t put = write(fd, c.out.data(), c.out.size());
        if (put < 0) {
          closed = errno != EAGAIN;
          break;
        }
        c.out.erase(0, static_cast<size_t>(put));
      }
      if (closed) {
        close(fd);
        conns.erase(fd);
        continue;
      }
      epoll_event cev{.events = EPOLLIN | (c.out.empty() ? 0u : uint32_t{EPOLLOUT}),
                      .data = {.fd = fd}};
      epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
    }
  }
}

int g_port = 0;

// Forks the server; the child ends with this process.
void StartServer() {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(listener, 256) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("object_bench: listen");
    std::exit(1);
  }
  g_port = ntohs(addr.sin_port);
  pid_t parent = getpid();
  if (fork() == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    Serve(listener);
  }
  close(listener);
}

// ---------------------------------------------------------------- client

double ProcessCpuSeconds(rusage* ru) {
  getrusage(RUSAGE_SELF, ru);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(ru->ru_utime) + s(ru->ru_stime);
}

// Feeds `issue` from this thread, at most kInFlight at once, as the sync's
// planner does; a completion frees a slot from the curl loop's thread.
template <typename Issue>
void RunObjects(benchmark::State& state, Issue issue) {
  auto transport = http::CurlTransport::Create();
  if (!transport.ok()) {
    state.SkipWithError(transport.status().message().c_str());
    return;
  }
  s3::ClientOptions options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = g_port;
  options.credentials.access_key = "AKIAIOSFODNN7EXAMPLE";
  options.credentials.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  s3::Client client(transport->get(), options);
  // The sync's slots (std::counting_semaphore would spin in sched_yield
  // before it sleeps, and count its spinning as the client's).
  util::Slots slots(kInFlight);
  std::atomic<int64_t> failed{0};
  auto release = [&](bool ok) {
    if (!ok) failed.fetch_add(1, std::memory_order_relaxed);
    slots.Release();
  };
  // Warm up: connections opened, handles made.
  for (int i = 0; i < 2 * kInFlight; ++i) {
    slots.Acquire();
    issue(client, i, release);
  }
  for (int i = 0; i < kInFlight; ++i) slots.Acquire();
  for (int i = 0; i < kInFlight; ++i) slots.Release();

  rusage before, after;
  double cpu0 = ProcessCpuSeconds(&before);
  int64_t n = 0;
  for (auto _ : state) {
    slots.Acquire();
    issue(client, n++, release);
  }
  for (int i = 0; i < kInFlight; ++i) slots.Acquire();
  double cpu = ProcessCpuSeconds(&after) - cpu0;
  if (failed.load() > 0) state.SkipWithError("requests failed");
  double per = static_cast<double>(std::max<int64_t>(n, 1));
  state.counters["req/s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  state.counters["cpu_us/req"] = cpu * 1e6 / per;
  state.counters["ctxsw/req"] =
      static_cast<double>(after.ru_nvcsw - before.ru_nvcsw + after.ru_nivcsw - before.ru_nivcsw) /
      per;
  // Before the client and the slots go: the last completions may still be
  // running on the loop after their Release.
  (*transport)->Shutdown(std::chrono::milliseconds(0));
}

std::string Key(int64_t i) {
  return "bench/d" + std::to_string(i % 100) + "/f" + std::to_string(i);
}

void BM_PutObject4K(benchmark::State& state) {
  const std::string data(kObjectSize, 'x');
  RunObjects(state, [&](const s3::Client& client, int64_t i, auto& release) {
    client.PutObject("bucket", Key(i), std::make_shared<http::StringSource>(data), {},
                     [&release](StatusOr<std::string> etag) { release(etag.ok()); });
  });
}

void BM_GetObject4K(benchmark::State& state) {
  RunObjects(state, [](const s3::Client& client, int64_t i, auto& release) {
    s3::GetOptions options;
    options.expected_size = kObjectSize;
    client.GetObject("bucket", Key(i), options, std::make_shared<http::StringSink>(),
                     [&release](StatusOr<s3::ObjectHead> head) { release(head.ok()); });
  });
}

BENCHMARK(BM_PutObject4K)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GetObject4K)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gwsync

int main(int argc, char** argv) {
  gwsync::StartServer();  // before any thread exists
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
