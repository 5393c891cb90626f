#include "stand_in.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_map>

#include "hash/hash.h"

namespace gwsync::bench {
namespace {

constexpr uint64_t kPage = 1000;

struct Conn {
  std::string in, out;
};

// The value of header `name` (lower case, with ": ") in `head`, or "".
std::string_view Header(std::string_view head, std::string_view name) {
  for (size_t at = head.find('\n'); at != std::string_view::npos; at = head.find('\n', at + 1)) {
    std::string_view line = head.substr(at + 1);
    if (line.size() > name.size() && strncasecmp(line.data(), name.data(), name.size()) == 0) {
      line.remove_prefix(name.size());
      return line.substr(0, line.find('\r'));
    }
  }
  return {};
}

// A query parameter's value in the request target, or "".
std::string Param(std::string_view target, std::string_view name) {
  size_t q = target.find('?');
  while (q != std::string_view::npos) {
    std::string_view rest = target.substr(q + 1);
    if (rest.starts_with(name) && rest.size() > name.size() && rest[name.size()] == '=') {
      rest.remove_prefix(name.size() + 1);
      return std::string(rest.substr(0, rest.find('&')));
    }
    q = target.find('&', q + 1);
  }
  return "";
}

class Server {
 public:
  Server(size_t object_size, uint64_t keys)
      : object_(object_size, 'x'), etag_(hash::Hex(hash::Md5(object_))), keys_(keys) {}

  // Appends the answers to the complete requests in c->in and drops them.
  void Answer(Conn* c) {
    size_t done = 0;
    for (;;) {
      std::string_view rest(c->in.data() + done, c->in.size() - done);
      size_t end = rest.find("\r\n\r\n");
      if (end == std::string_view::npos) break;
      std::string_view head = rest.substr(0, end + 2);
      size_t body =
          std::strtoull(std::string(Header(head, "content-length: ")).c_str(), nullptr, 10);
      if (rest.size() < end + 4 + body) break;
      std::string_view line = head.substr(0, head.find('\r'));
      std::string_view target = line.substr(line.find(' ') + 1);
      target = target.substr(0, target.find(' '));
      if (rest.starts_with("PUT ")) {
        std::string etag = hash::Hex(hash::Md5(rest.substr(end + 4, body)));
        c->out += "HTTP/1.1 200 OK\r\nETag: \"" + etag + "\"\r\nContent-Length: 0\r\n\r\n";
      } else if (rest.starts_with("GET ") && target.find("list-type=2") != std::string_view::npos) {
        List(c, target);
      } else if (rest.starts_with("GET ")) {
        Get(c, Header(head, "range: "));
      } else {
        c->out += "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
      }
      done += end + 4 + body;
    }
    c->in.erase(0, done);
  }

  [[noreturn]] void Serve(int listener);

 private:
  void Get(Conn* c, std::string_view range) {
    size_t from = 0, to = object_.size() - 1;
    const bool ranged = range.starts_with("bytes=");
    if (ranged) {
      from = std::strtoull(range.data() + 6, nullptr, 10);
      size_t dash = range.find('-');
      to = std::min<size_t>(to, std::strtoull(range.data() + dash + 1, nullptr, 10));
    }
    c->out += std::string(ranged ? "HTTP/1.1 206 Partial Content" : "HTTP/1.1 200 OK") +
              "\r\nContent-Length: " + std::to_string(to - from + 1) + "\r\nETag: \"" + etag_ +
              "\"\r\nLast-Modified: Wed, 01 Jan 2025 12:00:00 GMT\r\n"
              "Content-Type: application/octet-stream\r\n";
    if (ranged) {
      c->out += "Content-Range: bytes " + std::to_string(from) + "-" + std::to_string(to) + "/" +
                std::to_string(object_.size()) + "\r\n";
    }
    c->out += "\r\n";
    c->out.append(object_, from, to - from + 1);
  }

  // Keys k00000000... of the bucket "down"; the continuation token is the
  // next key's number.
  void List(Conn* c, std::string_view target) {
    const bool down = target.starts_with("/down");
    uint64_t from = std::strtoull(Param(target, "continuation-token").c_str(), nullptr, 10);
    uint64_t n = down && from < keys_ ? std::min(kPage, keys_ - from) : 0;
    const bool more = down && from + n < keys_;
    std::string xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>" +
        std::string(down ? "down" : "up") + "</Name><Prefix></Prefix><KeyCount>" +
        std::to_string(n) + "</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>" +
        (more ? "true" : "false") + "</IsTruncated>";
    if (more)
      xml += "<NextContinuationToken>" + std::to_string(from + n) + "</NextContinuationToken>";
    char key[16];
    for (uint64_t i = from; i < from + n; ++i) {
      std::snprintf(key, sizeof key, "k%08llu", static_cast<unsigned long long>(i));
      xml += std::string("<Contents><Key>") + key +
             "</Key><LastModified>2025-01-01T12:00:00.000Z</LastModified><ETag>&quot;" + etag_ +
             "&quot;</ETag><Size>" + std::to_string(object_.size()) +
             "</Size><StorageClass>STANDARD</StorageClass></Contents>";
    }
    xml += "</ListBucketResult>";
    c->out += "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: " +
              std::to_string(xml.size()) + "\r\n\r\n" + xml;
  }

  const std::string object_;
  const std::string etag_;
  const uint64_t keys_;
};

void Server::Serve(int listener) {
  int ep = epoll_create1(0);
  epoll_event ev{.events = EPOLLIN, .data = {.fd = listener}};
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  std::unordered_map<int, Conn> conns;
  epoll_event events[64];
  std::string buf(256 * 1024, '\0');
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
          ssize_t got = read(fd, buf.data(), buf.size());
          if (got > 0) {
            c.in.append(buf.data(), static_cast<size_t>(got));
            continue;
          }
          closed = got == 0 || errno != EAGAIN;
          break;
        }
        Answer(&c);
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

}  // namespace

StandIn StartStandIn(size_t object_size, uint64_t keys) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(listener, 256) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("stand-in gateway: listen");
    std::exit(1);
  }
  StandIn s;
  s.port = ntohs(addr.sin_port);
  pid_t parent = getpid();
  if (fork() == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    Server(object_size, keys).Serve(listener);
  }
  close(listener);
  return s;
}

s3::ClientOptions StandInClient(int port) {
  s3::ClientOptions options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = port;
  options.credentials.access_key = "AKIAIOSFODNN7EXAMPLE";
  options.credentials.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  return options;
}

double ProcessCpuSeconds(rusage* ru) {
  getrusage(RUSAGE_SELF, ru);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(ru->ru_utime) + s(ru->ru_stime);
}

}  // namespace gwsync::bench
