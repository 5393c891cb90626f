// A scripted stand-in for the network, on a virtual clock: FakeTransport
// answers each request with the next canned outcome scripted for its
// endpoint (or for any request a predicate accepts), records what was sent
// and when, and runs completions and Post()ed callbacks from RunUntilIdle(),
// in virtual-time order, jumping the clock to each. It is the Clock the Pool
// and the Executor are given, so backoff, Retry-After, down periods and
// throttle budgets pass in no real time. Single-threaded: call everything,
// the run loop included, from the test's thread; nothing sleeps and no
// thread is started, so a run is the same every time.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "http/request.h"
#include "util/clock.h"

namespace gwsync::testing {

// One answer (or failure) of the fake network.
struct Canned {
  int status = 200;  // 0: no HTTP status came back
  http::Headers headers;
  std::string body;  // a 2xx body goes to the request's sink when it has one
  // Non-OK: the exchange ends this way after `body` (reset mid-body), or,
  // with status 0, before any answer (refused, timed out).
  Status failure;
  bool reads_body = true;     // false: the request body never left (refused)
  bool etag_of_body = false;  // answer with the MD5 of the body received as the ETag (a part)
  std::chrono::milliseconds latency{10};  // from the send to the completion

  static Canned Answer(int status, std::string body = "", http::Headers headers = {});
  // A connection refused: nothing sent, nothing received, after 1 ms.
  static Canned Refused();
  // `status` and its headers came, then `partial` of the body, then a reset.
  static Canned ResetMidBody(int status, std::string partial);
  // No answer within `after` (the stall timeout): kDeadlineExceeded.
  static Canned Timeout(std::chrono::milliseconds after);
};

// One request as the fake network saw it.
struct Sent {
  std::string method;
  std::string url;
  std::string host;  // "host:port" of the url
  http::Headers headers;
  std::string body;  // the bytes read from the body source
  Clock::TimePoint at;
};

class FakeTransport final : public http::Transport, public Clock {
 public:
  using Match = std::function<bool(const http::Request&)>;

  // Virtual time starts at 1000 s: the Pool takes a zero time point for
  // "never".
  FakeTransport();

  // Requests to `host` ("127.0.0.1:7480") get `answers` in order; once they
  // are used up, `forever` if given, else whatever a later script or the
  // default (200, empty body) says.
  void Script(std::string host, std::vector<Canned> answers,
              std::optional<Canned> forever = std::nullopt);
  // The same for the requests `match` accepts. Scripts are tried in the
  // order they were added; the first with an answer left answers.
  void ScriptIf(Match match, std::vector<Canned> answers,
                std::optional<Canned> forever = std::nullopt);
  // An endpoint that refuses every connection.
  void Dead(std::string host) { Script(std::move(host), {}, Canned::Refused()); }

  void Send(http::Request request, http::Callback done) override;
  void Post(std::chrono::milliseconds delay, http::TimerCallback fn) override;
  TimePoint Now() const override { return now_; }

  // Runs what is due, in time order (ties in the order queued), moving the
  // clock to each, until nothing is left; returns how many ran. Stops after
  // `limit` events (a request retried forever).
  int RunUntilIdle(int limit = 100000);
  // Runs what falls due up to `until`, which becomes the time.
  void RunUntil(TimePoint until);

  const std::vector<Sent>& sent() const { return sent_; }
  // Requests sent to `host`.
  int SentTo(const std::string& host) const;
  // Virtual time since the fake was made.
  std::chrono::milliseconds Elapsed(TimePoint at) const;
  std::chrono::milliseconds Elapsed() const { return Elapsed(now_); }

 private:
  struct Rule {
    Match match;
    std::deque<Canned> answers;
    std::optional<Canned> forever;
  };
  struct Event {
    TimePoint at;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  Canned Next(const http::Request& request);
  void Schedule(TimePoint at, std::function<void()> fn);
  static http::Response Complete(http::Request& request, const Canned& canned);

  TimePoint start_;
  TimePoint now_;
  uint64_t seq_ = 0;
  std::vector<Rule> rules_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::vector<Sent> sent_;
};

// Jitter that is not random: Uniform(lo, hi) is lo + (hi - lo) * fraction,
// so with 1 (the default) every backoff is the longest one allowed.
class FixedRandom final : public Random {
 public:
  explicit FixedRandom(double fraction = 1) : fraction_(fraction) {}
  int64_t Uniform(int64_t lo, int64_t hi) override {
    if (hi <= lo) return lo;
    return lo + static_cast<int64_t>(static_cast<double>(hi - lo) * fraction_);
  }

 private:
  double fraction_;
};

// The host ("host:port") of an absolute URL.
std::string HostOf(const std::string& url);

}  // namespace gwsync::testing
