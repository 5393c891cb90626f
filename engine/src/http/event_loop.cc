#include "http/event_loop.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <vector>

#include "http/exchange.h"

namespace gwsync::http {

Response Transport::SendAndWait(Request request) {
  std::promise<Response> promise;
  auto future = promise.get_future();
  Send(std::move(request), [&promise](Response r) { promise.set_value(std::move(r)); });
  return future.get();
}

using internal::ByteBudget;
using internal::Exchange;
using internal::FromCurl;
using internal::kMaxInlineBody;
using internal::OnHeader;
using internal::OnRead;
using internal::OnSeek;
using internal::OnWrite;

struct CurlTransport::Impl {
  TransportOptions options;
  CURLM* multi = nullptr;
  std::thread thread;

  std::mutex mu;
  std::deque<std::unique_ptr<Exchange>> queued;  // guarded by mu
  bool stopping = false;                         // guarded by mu
  struct Timer {
    std::chrono::steady_clock::time_point at;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Timer& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers;  // guarded by mu
  uint64_t timer_seq = 0;                                                      // guarded by mu

  std::atomic<std::thread::id> loop_id{};
  // The loop waits in epoll_wait on curl's sockets and `wake_fd`; other
  // threads write `wake_fd` only when `asleep` (one wakeup per sleep).
  int epoll_fd = -1;
  int wake_fd = -1;
  std::atomic<bool> asleep{false};
  // When curl wants CURL_SOCKET_TIMEOUT handled (set by its timer callback).
  std::optional<std::chrono::steady_clock::time_point> curl_deadline;  // loop thread only

  // Loop thread only.
  ByteBudget budget;
  std::map<std::string, ByteBudget, std::less<>> endpoint_budgets;  // by scheme://host:port
  std::vector<CURL*> idle_handles;
  std::vector<CURL*> active;

  ~Impl() {
    for (CURL* h : idle_handles) curl_easy_cleanup(h);
    if (multi) curl_multi_cleanup(multi);
    if (epoll_fd >= 0) close(epoll_fd);
    if (wake_fd >= 0) close(wake_fd);
  }

  // Wakes the loop if it sleeps, or will sleep, in epoll_wait; called after
  // the work is queued under `mu`, which the loop checks once `asleep` is set.
  void Wake() {
    if (!asleep.exchange(false)) return;
    uint64_t one = 1;
    while (write(wake_fd, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
  }

  // What the epoll set holds for a descriptor. A connection's socket (one
  // curl opened through OnOpenSocket) stays in the set while the connection
  // idles between requests, so a keep-alive request costs no epoll_ctl; it
  // leaves the set when curl closes it, or when it stirs while idle.
  struct Watch {
    bool connection = false;  // opened by OnOpenSocket, closed by OnCloseSocket
    bool in_set = false;
    uint32_t events = 0;  // as in the set
    bool wanted = false;  // curl waits on it
  };
  std::vector<Watch> watches;  // by descriptor

  Watch& WatchOf(curl_socket_t s) {
    if (static_cast<size_t>(s) >= watches.size()) watches.resize(static_cast<size_t>(s) + 64);
    return watches[static_cast<size_t>(s)];
  }

  void Unwatch(curl_socket_t s, Watch& w) {
    if (w.in_set) epoll_ctl(epoll_fd, EPOLL_CTL_DEL, s, nullptr);
    w.in_set = false;
  }

  // curl's CURLMOPT_SOCKETFUNCTION: keeps the epoll set in step with the
  // sockets curl waits on.
  static int OnSocket(CURL*, curl_socket_t s, int what, void* user, void*) {
    auto* self = static_cast<Impl*>(user);
    Watch& w = self->WatchOf(s);
    if (what == CURL_POLL_REMOVE) {
      w.wanted = false;
      if (!w.connection) self->Unwatch(s, w);  // may be closed without OnCloseSocket
      return 0;
    }
    w.wanted = true;
    uint32_t events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    if (w.in_set && w.events == events) return 0;
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = s;
    if (epoll_ctl(self->epoll_fd, w.in_set ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev) != 0) {
      // The set knew better (a descriptor closed and reused behind our back).
      epoll_ctl(self->epoll_fd, w.in_set ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, s, &ev);
    }
    w.in_set = true;
    w.events = events;
    return 0;
  }

  static curl_socket_t OnOpenSocket(void* user, curlsocktype, curl_sockaddr* addr) {
    auto* self = static_cast<Impl*>(user);
    int s = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
    if (s < 0) return CURL_SOCKET_BAD;
    self->WatchOf(s) = Watch{.connection = true};
    return s;
  }

  // Closing a descriptor takes it out of every epoll set.
  static int OnCloseSocket(void* user, curl_socket_t s) {
    static_cast<Impl*>(user)->WatchOf(s) = Watch{};
    return close(s);
  }

  // curl's CURLMOPT_TIMERFUNCTION: -1 cancels the timer.
  static int OnTimer(CURLM*, long timeout_ms, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (timeout_ms < 0) {
      self->curl_deadline.reset();
    } else {
      self->curl_deadline =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    }
    return 0;
  }

  // Hands curl one socket's readiness (or its due timeouts) and finishes
  // the transfers that completed.
  void Act(curl_socket_t s, int mask) {
    int running = 0;
    curl_multi_socket_action(multi, s, mask, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg == CURLMSG_DONE) Finish(msg->easy_handle, msg->data.result);
    }
  }

  // Runs curl's timeouts when due; returns the wait until its next one.
  int CurlTimeouts(int wait_ms) {
    if (!curl_deadline) return wait_ms;
    auto now = std::chrono::steady_clock::now();
    if (*curl_deadline <= now) {
      curl_deadline.reset();
      Act(CURL_SOCKET_TIMEOUT, 0);
      if (!curl_deadline) return wait_ms;
      now = std::chrono::steady_clock::now();
    }
    if (*curl_deadline <= now) return 0;
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(*curl_deadline - now).count();
    return static_cast<int>(std::min<int64_t>(wait_ms, (us + 999) / 1000));
  }

  void Start(std::unique_ptr<Exchange> ex) {
    CURL* h;
    if (!idle_handles.empty()) {
      h = idle_handles.back();
      idle_handles.pop_back();
      curl_easy_reset(h);
    } else {
      h = curl_easy_init();
    }
    const Request& r = ex->request;
    curl_easy_setopt(h, CURLOPT_URL, r.url.c_str());
    // Keys like "a/../b" are names, not paths to normalise (the signature covers them as sent).
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, options.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count()));
    if (r.total_timeout.count() > 0) {
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(r.total_timeout.count()));
    }
    if (r.stall_timeout.count() > 0) {
      curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
      curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                       std::max(1L, static_cast<long>(r.stall_timeout.count() / 1000)));
    }
    if (!options.verify_tls) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (!options.ca_bundle.empty()) {
      curl_easy_setopt(h, CURLOPT_CAINFO, options.ca_bundle.c_str());
    }
    ex->handle = h;
    ex->budgets[0] = &budget;
    if (options.endpoint_bytes_per_second > 0) {
      std::string_view url = ex->request.url;
      size_t host = url.find("://");
      host = host == std::string_view::npos ? 0 : host + 3;
      std::string_view origin = url.substr(0, url.find('/', host));
      auto it = endpoint_budgets.find(origin);
      if (it == endpoint_budgets.end()) {
        it = endpoint_budgets.emplace(std::string(origin), ByteBudget{}).first;
        it->second.rate = static_cast<double>(options.endpoint_bytes_per_second);
      }
      ex->budgets[1] = &it->second;
    }
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &Impl::OnOpenSocket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, &Impl::OnCloseSocket);
    curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, this);
    curl_easy_setopt(h, CURLOPT_PRIVATE, ex.get());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ex->error);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, ex.get());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnWrite);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, ex.get());

    bool has_content_type = false;
    for (const auto& [k, v] : r.headers) {
      std::string line = k + ": " + v;
      if (v.empty()) line = k + ";";  // curl's syntax for a header with an empty value
      if (HeaderNameEquals(k, "content-type")) has_content_type = true;
      ex->header_list = curl_slist_append(ex->header_list, line.c_str());
    }
    // No 100-continue round trip, and no content type curl would invent.
    ex->header_list = curl_slist_append(ex->header_list, "Expect:");
    if (!has_content_type) ex->header_list = curl_slist_append(ex->header_list, "Content-Type:");

    const std::string& m = r.method;
    uint64_t body_size = r.body ? r.body->size() : 0;
    // Not under a byte budget: that paces bodies as curl reads them.
    bool inline_body = r.body && (m == "PUT" || m == "POST") && body_size <= kMaxInlineBody &&
                       budget.rate <= 0 && options.endpoint_bytes_per_second == 0;
    if (inline_body) {
      if (Status read = ReadBody(ex.get(), body_size); !read.ok()) {
        ex->response.transport = std::move(read);
        idle_handles.push_back(h);
        ex->done(std::move(ex->response));
        return;
      }
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_size));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, ex->inline_body.data());
      if (m == "PUT") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    } else if (m == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (m == "PUT") {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
    } else if (m == "POST") {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_size));
    } else if (m != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m.c_str());
    }
    if ((m == "PUT" || m == "POST") && !inline_body) {
      if (r.body) {
        curl_easy_setopt(h, CURLOPT_READFUNCTION, OnRead);
        curl_easy_setopt(h, CURLOPT_READDATA, ex.get());
        curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, OnSeek);
        curl_easy_setopt(h, CURLOPT_SEEKDATA, ex.get());
      } else if (m == "POST") {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
      } else {
        curl_easy_setopt(
            h, CURLOPT_READFUNCTION, +[](char*, size_t, size_t, void*) -> size_t { return 0; });
      }
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, ex->header_list);
    curl_multi_add_handle(multi, h);
    active.push_back(h);
    ex.release();  // owned through CURLOPT_PRIVATE until Finish
  }

  // Reads the whole of a small request body into ex->inline_body.
  static Status ReadBody(Exchange* ex, uint64_t size) {
    std::string& body = ex->inline_body;
    body.resize(size);
    size_t got = 0;
    while (got < size) {
      StatusOr<size_t> n = ex->request.body->Read(std::span<char>(body.data() + got, size - got));
      if (!n.ok()) return n.status();
      if (*n == 0)
        return DataLoss("the request body ended before its " + std::to_string(size) + " bytes");
      got += *n;
    }
    ex->response.bytes_sent = size;
    return Status::Ok();
  }

  // Resumes transfers paused by a byte budget once it has tokens again;
  // while any stay paused the loop wakes every few milliseconds.
  void ResumePaused(ByteBudget& b, int* wait_ms) {
    if (b.paused.empty()) return;
    b.Refill();
    if (b.tokens >= 1) {
      std::vector<CURL*> resume;
      resume.swap(b.paused);
      for (CURL* h : resume) {
        if (std::find(active.begin(), active.end(), h) != active.end()) {
          curl_easy_pause(h, CURLPAUSE_CONT);
        }
      }
    }
    if (!b.paused.empty()) *wait_ms = std::min(*wait_ms, 5);
  }

  bool AnyPaused() const {
    if (!budget.paused.empty()) return true;
    for (const auto& [origin, b] : endpoint_budgets) {
      if (!b.paused.empty()) return true;
    }
    return false;
  }

  void ResumePaused(int* wait_ms) {
    ResumePaused(budget, wait_ms);
    for (auto& [origin, b] : endpoint_budgets) ResumePaused(b, wait_ms);
  }

  void Finish(CURL* h, CURLcode code) {
    Exchange* raw = nullptr;
    curl_easy_getinfo(h, CURLINFO_PRIVATE, &raw);
    std::unique_ptr<Exchange> ex(raw);
    curl_multi_remove_handle(multi, h);
    active.erase(std::find(active.begin(), active.end(), h));
    std::erase(budget.paused, h);
    for (auto& [origin, b] : endpoint_budgets) std::erase(b.paused, h);

    Response& resp = ex->response;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    resp.status = static_cast<int>(status);
    curl_off_t connect = 0, ttfb = 0, total = 0;
    curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect);
    curl_easy_getinfo(h, CURLINFO_STARTTRANSFER_TIME_T, &ttfb);
    curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total);
    resp.timing = {connect / 1e6, ttfb / 1e6, total / 1e6};
    if (code != CURLE_OK) resp.transport = FromCurl(code, *ex);
    idle_handles.push_back(h);
    ex->done(std::move(resp));
  }

  // Runs the timers that are due; returns the wait until the next one.
  int RunTimers() {
    for (;;) {
      std::function<void()> fn;
      {
        std::lock_guard lock(mu);
        if (timers.empty()) return 1000;
        auto now = std::chrono::steady_clock::now();
        if (timers.top().at > now) {
          auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timers.top().at - now);
          return static_cast<int>(std::min<int64_t>(1000, ms.count() + 1));
        }
        fn = std::move(const_cast<Timer&>(timers.top()).fn);
        timers.pop();
      }
      fn();
    }
  }

  void Run() {
    loop_id = std::this_thread::get_id();
    std::array<epoll_event, 64> events;
    for (;;) {
      std::deque<std::unique_ptr<Exchange>> batch;
      bool stop;
      int wait_ms = RunTimers();
      {
        std::lock_guard lock(mu);
        batch.swap(queued);
        stop = stopping;
      }
      if (stop) {
        for (auto& ex : batch) {
          ex->response.transport = Status(StatusCode::kCancelled, "transport shut down");
          ex->done(std::move(ex->response));
        }
        break;
      }
      for (auto& ex : batch) Start(std::move(ex));  // each sets a timeout of 0: started below
      ResumePaused(&wait_ms);
      wait_ms = CurlTimeouts(wait_ms);
      // Transfers paused by a budget: come back for them within 5 ms.
      if (AnyPaused()) wait_ms = std::min(wait_ms, 5);
      // From here on a Send or Post wakes us; what came before is seen now.
      asleep.store(true);
      {
        std::lock_guard lock(mu);
        if (!queued.empty() || stopping) wait_ms = 0;
        if (!timers.empty()) {
          auto left = timers.top().at - std::chrono::steady_clock::now();
          auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
          wait_ms = static_cast<int>(std::clamp<int64_t>(ms, 0, wait_ms));
        }
      }
      int n = epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), wait_ms);
      asleep.store(false);
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == wake_fd) {
          uint64_t count;
          while (read(wake_fd, &count, sizeof(count)) < 0 && errno == EINTR) {
          }
          continue;
        }
        Watch& w = WatchOf(fd);
        if (!w.wanted) {  // an idle connection closing, or sending out of turn
          Unwatch(fd, w);
          continue;
        }
        uint32_t e = events[i].events;
        int mask = (e & EPOLLIN ? CURL_CSELECT_IN : 0) | (e & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                   (e & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
        Act(fd, mask);
      }
    }
    // Cancel what is still in flight.
    while (!active.empty()) {
      CURL* h = active.back();
      Exchange* raw = nullptr;
      curl_easy_getinfo(h, CURLINFO_PRIVATE, &raw);
      raw->body_status = Status(StatusCode::kCancelled, "transport shut down");
      Finish(h, CURLE_ABORTED_BY_CALLBACK);
    }
  }
};

CurlTransport::CurlTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StatusOr<std::unique_ptr<CurlTransport>> CurlTransport::Create(const TransportOptions& options) {
  static std::once_flag init_once;
  std::call_once(init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->budget.rate = static_cast<double>(options.bytes_per_second);
  impl->multi = curl_multi_init();
  if (!impl->multi) return Internal("curl_multi_init failed");
  impl->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  impl->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl->epoll_fd < 0 || impl->wake_fd < 0) {
    return Internal("cannot create the event loop's epoll set: " + std::string(strerror(errno)));
  }
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.fd = impl->wake_fd;
  epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, impl->wake_fd, &wake);
  curl_multi_setopt(impl->multi, CURLMOPT_SOCKETFUNCTION, &Impl::OnSocket);
  curl_multi_setopt(impl->multi, CURLMOPT_SOCKETDATA, impl.get());
  curl_multi_setopt(impl->multi, CURLMOPT_TIMERFUNCTION, &Impl::OnTimer);
  curl_multi_setopt(impl->multi, CURLMOPT_TIMERDATA, impl.get());
  curl_multi_setopt(impl->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                    static_cast<long>(options.max_connections_per_host));
  curl_multi_setopt(impl->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                    static_cast<long>(options.max_total_connections));
  curl_multi_setopt(impl->multi, CURLMOPT_MAXCONNECTS,
                    static_cast<long>(options.max_total_connections));
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<CurlTransport>(new CurlTransport(std::move(impl)));
}

CurlTransport::~CurlTransport() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->asleep.store(true);  // wake it whatever it is doing
  impl_->Wake();
  impl_->thread.join();
}

void CurlTransport::Post(std::chrono::milliseconds delay, std::function<void()> fn) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->timers.push(
        {std::chrono::steady_clock::now() + delay, impl_->timer_seq++, std::move(fn)});
  }
  impl_->Wake();
}

void CurlTransport::Send(Request request, Callback done) {
  auto ex = std::make_unique<Exchange>();
  ex->request = std::move(request);
  ex->done = std::move(done);
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->stopping) impl_->queued.push_back(std::move(ex));
  }
  if (ex) {  // not queued: already shutting down
    ex->response.transport = Status(StatusCode::kCancelled, "transport shut down");
    ex->done(std::move(ex->response));
    return;
  }
  // A wakeup per sleep of the loop, not per request: none while it works
  // (it looks at the queue before it sleeps), nor from its own callbacks.
  if (std::this_thread::get_id() != impl_->loop_id) impl_->Wake();
}

}  // namespace gwsync::http
