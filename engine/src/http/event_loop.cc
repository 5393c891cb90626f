// size: one curl multi loop: Impl holds its state and every callback curl
// and the timers make into it; apart, each half would need the other's insides.
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

#include "http/easy_setup.h"
#include "http/exchange.h"
#include "http/pass.h"
#include "http/socket_set.h"

namespace gwsync::http {

Response Transport::SendAndWait(Request request) {
  std::promise<Response> promise;
  auto future = promise.get_future();
  Send(std::move(request), [&promise](Response r) { promise.set_value(std::move(r)); });
  return future.get();
}

namespace {

Status Cancelled() { return Status(StatusCode::kCancelled, "the HTTP transport was shut down"); }

Response CancelledResponse() {
  Response r;
  r.transport = Cancelled();
  return r;
}

// Runs `fn` now, or, when this thread is already inside such a call, right
// after it returns: after shutdown Send and Post complete at once, and a
// completion that sends again must not nest (a pool's waiters, released one
// by the next, would recurse as deep as there are waiters).
void RunUnnested(std::function<void()> fn) {
  thread_local std::deque<std::function<void()>>* pending = nullptr;
  if (pending) {
    pending->push_back(std::move(fn));
    return;
  }
  std::deque<std::function<void()>> queue;
  queue.push_back(std::move(fn));
  pending = &queue;
  while (!queue.empty()) {
    std::function<void()> next = std::move(queue.front());
    queue.pop_front();
    next();
  }
  pending = nullptr;
}

// How often the loop looks for exchanges past their overall deadline.
constexpr std::chrono::milliseconds kDeadlineCheck{500};

}  // namespace

using internal::ByteBudget;
using internal::EndExchange;
using internal::Exchange;

struct CurlTransport::Impl {
  TransportOptions options;
  CURLM* multi = nullptr;
  std::thread thread;

  std::mutex mu;
  std::deque<std::unique_ptr<Exchange>> queued;  // guarded by mu
  // kRunning until Shutdown; kDraining while the loop completes what is left
  // (Send and Post are refused: their callbacks go to `refused`, which the
  // loop runs); kStopped once it has returned (they complete on the caller).
  enum class Phase { kRunning, kDraining, kStopped };
  Phase phase = Phase::kRunning;                      // guarded by mu
  std::chrono::steady_clock::time_point grace_until;  // guarded by mu
  std::vector<std::function<void()>> refused;         // guarded by mu
  std::mutex join_mu;                                 // one Shutdown joins the loop
  struct Timer {
    std::chrono::steady_clock::time_point at;
    uint64_t seq;
    TimerCallback fn;
    bool operator>(const Timer& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers;  // guarded by mu
  uint64_t timer_seq = 0;                                                      // guarded by mu

  std::atomic<std::thread::id> loop_id{};
  // The loop waits in epoll_wait on curl's sockets and `wake_fd`; other
  // threads write `wake_fd` only when `asleep` (one wakeup per sleep).
  int epoll_fd = -1;
  internal::SocketSet sockets;  // loop thread only
  int wake_fd = -1;
  std::atomic<bool> asleep{false};
  // When curl wants CURL_SOCKET_TIMEOUT handled (set by its timer callback).
  std::optional<std::chrono::steady_clock::time_point> curl_deadline;  // loop thread only

  // Loop thread only.
  ByteBudget budget;
  std::map<std::string, ByteBudget, std::less<>> endpoint_budgets;  // by scheme://host:port
  std::vector<CURL*> idle_handles;
  std::vector<CURL*> active;
  std::chrono::steady_clock::time_point next_deadline_check{};

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
    CURLMcode rc = curl_multi_socket_action(multi, s, mask, &running);
    if (rc != CURLM_OK && rc != CURLM_BAD_SOCKET) {  // a socket curl has closed: nothing lost
      // curl's state is unknown: every exchange ends rather than waits.
      EndAll(Internal(std::string("the HTTP engine failed: ") + curl_multi_strerror(rc)));
      return;
    }
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

  // Completes an exchange that could not start.
  void Refuse(std::unique_ptr<Exchange> ex, Status why) {
    ex->response.transport = std::move(why);
    ex->done(std::move(ex->response));
  }

  void Start(std::unique_ptr<Exchange> ex) {
    CURL* h;
    if (!idle_handles.empty()) {
      h = idle_handles.back();
      idle_handles.pop_back();
      curl_easy_reset(h);
    } else if (!(h = curl_easy_init())) {
      return Refuse(std::move(ex), Internal("cannot start a request: curl_easy_init failed"));
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
    // A body under a byte budget is paced as curl reads it: never read whole.
    bool inline_allowed = budget.rate <= 0 && options.endpoint_bytes_per_second == 0;
    Status configured = internal::SetUpHandle(h, ex.get(), options, inline_allowed);
    if (configured.ok()) {
      CURLcode rc = curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &internal::SocketSet::OnOpen);
      if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &sockets);
      if (rc == CURLE_OK) {
        rc = curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, &internal::SocketSet::OnClose);
      }
      if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, &sockets);
      if (rc != CURLE_OK) {
        configured = Internal(std::string("cannot start a request: ") + curl_easy_strerror(rc));
      }
    }
    if (configured.ok()) {
      if (CURLMcode rc = curl_multi_add_handle(multi, h); rc != CURLM_OK) {
        configured = Internal(std::string("cannot start a request: ") + curl_multi_strerror(rc));
      }
    }
    if (!configured.ok()) {
      idle_handles.push_back(h);
      return Refuse(std::move(ex), std::move(configured));
    }
    const Request& r = ex->request;
    ex->deadline = internal::Deadline(std::chrono::steady_clock::now(), r.stall_timeout, r.min_rate,
                                      r.body ? r.body->size() : 0);
    active.push_back(h);
    // NOLINTNEXTLINE(bugprone-unused-return-value): the pointer is curl's now
    ex.release();  // owned through CURLOPT_PRIVATE until Finish
  }

  static Exchange* ExchangeOf(CURL* h) {
    Exchange* ex = nullptr;
    curl_easy_getinfo(h, CURLINFO_PRIVATE, &ex);
    return ex;
  }

  // Resumes transfers paused by a byte budget once it has tokens again;
  // while any stay paused the loop wakes every few milliseconds.
  void ResumePaused(ByteBudget& b, int* wait_ms) {
    if (b.paused.empty()) return;
    b.Refill();
    if (b.tokens >= 1) {
      std::vector<CURL*> resume;
      resume.swap(b.paused);
      auto now = std::chrono::steady_clock::now();
      for (CURL* h : resume) {
        if (std::find(active.begin(), active.end(), h) == active.end()) continue;
        Exchange* ex = ExchangeOf(h);
        ex->deadline.Resume(now);
        if (CURLcode rc = curl_easy_pause(h, CURLPAUSE_CONT); rc != CURLE_OK) {
          if (ex->body_status.ok()) {
            ex->body_status =
                Internal(std::string("cannot resume a paused transfer: ") + curl_easy_strerror(rc));
          }
          Finish(h, rc);
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

  // The response body bytes an exchange's deadline allows for: what the
  // answer announces (Content-Length) once its headers are in, else the most
  // the request accepts (max_body: a range of a part size may bring a few
  // bytes); what came, if more.
  static uint64_t ResponseBytes(const Exchange& ex) {
    uint64_t bytes = ex.request.max_body;
    std::string_view length = ex.response.header("content-length");
    uint64_t announced = 0;
    auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), announced);
    if (ex.request.method != "HEAD" && ec == std::errc() && end == length.data() + length.size() &&
        !length.empty()) {
      bytes = announced;
    }
    return std::max(bytes, ex.response.bytes_received);
  }

  // Ends the exchanges past their overall deadline (http/deadline.h) with
  // kDeadlineExceeded; looks every kDeadlineCheck while any is in flight.
  void CheckDeadlines(int* wait_ms) {
    if (active.empty()) return;
    auto now = std::chrono::steady_clock::now();
    if (now >= next_deadline_check) {
      next_deadline_check = now + kDeadlineCheck;
      std::vector<CURL*> late;
      for (CURL* h : active) {
        Exchange* ex = ExchangeOf(h);
        if (!ex->body_status.ok()) continue;  // already failing
        if (Status s = ex->deadline.Check(now, ResponseBytes(*ex)); !s.ok()) {
          ex->body_status = std::move(s);
          late.push_back(h);
        }
      }
      for (CURL* h : late) Finish(h, CURLE_OPERATION_TIMEDOUT);
    }
    auto left = std::chrono::ceil<std::chrono::milliseconds>(next_deadline_check - now).count();
    *wait_ms = static_cast<int>(std::clamp<int64_t>(left, 0, *wait_ms));
  }

  void Finish(CURL* h, CURLcode code) {
    std::unique_ptr<Exchange> ex(ExchangeOf(h));
    curl_multi_remove_handle(multi, h);  // drops a completion curl may hold for it
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
    resp.transport = EndExchange(code, ex.get());
    idle_handles.push_back(h);
    ex->done(std::move(resp));
  }

  // Ends every exchange in flight with `why`.
  void EndAll(const Status& why) {
    while (!active.empty()) {
      CURL* h = active.back();
      ExchangeOf(h)->body_status = why;
      Finish(h, CURLE_ABORTED_BY_CALLBACK);
    }
  }

  // Runs the timers that are due; returns the wait until the next one.
  int RunTimers() {
    for (;;) {
      TimerCallback fn;
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
      fn(Status::Ok());
    }
  }

  // One round of the drain that follows Shutdown: what was queued before it
  // starts (or, once the grace is over, is cancelled); timers, and what was
  // sent or posted since, complete with kCancelled; once the grace is over,
  // so does every exchange in flight. Their completions may send and post
  // again: refused too, that runs in the next round, never nested. True
  // once nothing is left: the loop has stopped.
  bool Drain(std::chrono::steady_clock::time_point grace) {
    std::deque<std::unique_ptr<Exchange>> batch;
    std::vector<std::function<void()>> refused_now;
    std::vector<TimerCallback> timers_now;
    {
      std::lock_guard lock(mu);
      batch.swap(queued);
      refused_now.swap(refused);
      for (; !timers.empty(); timers.pop()) {
        timers_now.push_back(std::move(const_cast<Timer&>(timers.top()).fn));
      }
    }
    const bool over = std::chrono::steady_clock::now() >= grace;
    for (auto& ex : batch) {
      if (over) {
        Refuse(std::move(ex), Cancelled());
      } else {
        Start(std::move(ex));
      }
    }
    for (auto& fn : timers_now) fn(Cancelled());
    for (auto& fn : refused_now) fn();
    if (over) EndAll(Cancelled());
    std::lock_guard lock(mu);
    if (!active.empty() || !queued.empty() || !refused.empty() || !timers.empty()) return false;
    phase = Phase::kStopped;
    return true;
  }

  void Run() {
    loop_id = std::this_thread::get_id();
    std::array<epoll_event, 64> events;
    internal::PassScope pass;  // what completions defer to the end of the pass (http/pass.h)
    for (;;) {
      bool draining;
      std::chrono::steady_clock::time_point grace;
      {
        std::lock_guard lock(mu);
        draining = phase == Phase::kDraining;
        grace = grace_until;
      }
      int wait_ms;
      if (draining) {
        if (Drain(grace)) return;
        auto left =
            std::chrono::ceil<std::chrono::milliseconds>(grace - std::chrono::steady_clock::now());
        wait_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1000));
      } else {
        wait_ms = RunTimers();
        std::deque<std::unique_ptr<Exchange>> batch;
        {
          std::lock_guard lock(mu);
          batch.swap(queued);
        }
        for (auto& ex : batch) Start(std::move(ex));  // each sets a timeout of 0: started below
      }
      ResumePaused(&wait_ms);
      CheckDeadlines(&wait_ms);
      wait_ms = CurlTimeouts(wait_ms);
      // Transfers paused by a budget: come back for them within 5 ms.
      if (AnyPaused()) wait_ms = std::min(wait_ms, 5);
      pass.Flush();  // the pass is over: what its completions handed on
      // From here on a Send or Post wakes us; what came before is seen now.
      asleep.store(true);
      {
        std::lock_guard lock(mu);
        if (!queued.empty() || !refused.empty() || draining != (phase == Phase::kDraining)) {
          wait_ms = 0;
        }
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
        if (!sockets.Wanted(fd)) continue;
        uint32_t e = events[i].events;
        int mask = (e & EPOLLIN ? CURL_CSELECT_IN : 0) | (e & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                   (e & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
        Act(fd, mask);
      }
    }
  }
};

CurlTransport::CurlTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StatusOr<std::unique_ptr<CurlTransport>> CurlTransport::Create(const TransportOptions& options) {
  static CURLcode global = [] { return curl_global_init(CURL_GLOBAL_DEFAULT); }();
  if (global != CURLE_OK) {
    return Internal(std::string("cannot start libcurl: ") + curl_easy_strerror(global));
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->budget.rate = static_cast<double>(options.bytes_per_second);
  impl->multi = curl_multi_init();
  if (!impl->multi) return Internal("cannot start libcurl: curl_multi_init failed");
  impl->epoll_fd = impl->sockets.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  impl->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.fd = impl->wake_fd;
  if (impl->epoll_fd < 0 || impl->wake_fd < 0 ||
      epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, impl->wake_fd, &wake) != 0) {
    return Internal("cannot create the event loop's epoll set: " + std::string(strerror(errno)));
  }
  CURLM* m = impl->multi;
  for (CURLMcode rc :
       {curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &internal::SocketSet::OnSocket),
        curl_multi_setopt(m, CURLMOPT_SOCKETDATA, &impl->sockets),
        curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &Impl::OnTimer),
        curl_multi_setopt(m, CURLMOPT_TIMERDATA, impl.get()),
        curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS,
                          static_cast<long>(options.max_connections_per_host)),
        curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                          static_cast<long>(options.max_total_connections)),
        curl_multi_setopt(m, CURLMOPT_MAXCONNECTS,
                          static_cast<long>(options.max_total_connections))}) {
    if (rc != CURLM_OK) {
      return Internal(std::string("cannot set up libcurl: ") + curl_multi_strerror(rc));
    }
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<CurlTransport>(new CurlTransport(std::move(impl)));
}

CurlTransport::~CurlTransport() { Shutdown(std::chrono::milliseconds(0)); }

void CurlTransport::Shutdown(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->phase == Impl::Phase::kRunning) {
      impl_->phase = Impl::Phase::kDraining;
      impl_->grace_until = std::chrono::steady_clock::now() + grace;
    }
  }
  impl_->asleep.store(true);  // wake it whatever it is doing
  impl_->Wake();
  std::lock_guard join(impl_->join_mu);
  if (impl_->thread.joinable()) impl_->thread.join();
}

void CurlTransport::Post(std::chrono::milliseconds delay, TimerCallback fn) {
  Impl::Phase phase;
  {
    std::lock_guard lock(impl_->mu);
    phase = impl_->phase;
    if (phase == Impl::Phase::kRunning) {
      impl_->timers.push(
          {std::chrono::steady_clock::now() + delay, impl_->timer_seq++, std::move(fn)});
    } else if (phase == Impl::Phase::kDraining) {
      impl_->refused.push_back([fn = std::move(fn)] { fn(Cancelled()); });
    }
  }
  // NOLINTNEXTLINE(bugprone-use-after-move): only one phase's branch runs
  if (phase == Impl::Phase::kStopped) return RunUnnested([fn = std::move(fn)] { fn(Cancelled()); });
  if (std::this_thread::get_id() != impl_->loop_id) impl_->Wake();
}

void CurlTransport::Send(Request request, Callback done) {
  auto ex = std::make_unique<Exchange>();
  ex->request = std::move(request);
  ex->done = std::move(done);
  Impl::Phase phase;
  {
    std::lock_guard lock(impl_->mu);
    phase = impl_->phase;
    if (phase == Impl::Phase::kRunning) {
      impl_->queued.push_back(std::move(ex));
    } else if (phase == Impl::Phase::kDraining) {
      impl_->refused.push_back([done = std::move(ex->done)] { done(CancelledResponse()); });
    }
  }
  if (phase == Impl::Phase::kStopped) {
    // NOLINTNEXTLINE(bugprone-use-after-move): only one phase's branch runs
    return RunUnnested([done = std::move(ex->done)] { done(CancelledResponse()); });
  }
  // A wakeup per sleep of the loop, not per request: none while it works
  // (it looks at the queue before it sleeps), nor from its own callbacks.
  if (std::this_thread::get_id() != impl_->loop_id) impl_->Wake();
}

}  // namespace gwsync::http
