#include "support/fake_transport.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "hash/hash.h"

namespace gwsync::testing {

Canned Canned::Answer(int status, std::string body, http::Headers headers) {
  Canned c;
  c.status = status;
  c.body = std::move(body);
  c.headers = std::move(headers);
  return c;
}

Canned Canned::Refused() {
  Canned c;
  c.status = 0;
  c.failure = Unavailable("cannot reach the gateway: connection refused");
  c.reads_body = false;
  c.latency = std::chrono::milliseconds(1);
  return c;
}

Canned Canned::ResetMidBody(int status, std::string partial) {
  Canned c;
  c.status = status;
  c.body = std::move(partial);
  c.failure = Unavailable("connection reset by peer");
  return c;
}

Canned Canned::Timeout(std::chrono::milliseconds after) {
  Canned c;
  c.status = 0;
  c.failure = Status(StatusCode::kDeadlineExceeded, "no byte moved for a while");
  c.latency = after;
  return c;
}

std::string HostOf(const std::string& url) {
  size_t begin = url.find("://");
  begin = begin == std::string::npos ? 0 : begin + 3;
  size_t end = url.find_first_of("/?", begin);
  return url.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

FakeTransport::FakeTransport() : start_(TimePoint(std::chrono::seconds(1000))), now_(start_) {}

void FakeTransport::Script(std::string host, std::vector<Canned> answers,
                           std::optional<Canned> forever) {
  ScriptIf([host = std::move(host)](const http::Request& r) { return HostOf(r.url) == host; },
           std::move(answers), std::move(forever));
}

void FakeTransport::ScriptIf(Match match, std::vector<Canned> answers,
                             std::optional<Canned> forever) {
  rules_.push_back({std::move(match), {answers.begin(), answers.end()}, std::move(forever)});
}

Canned FakeTransport::Next(const http::Request& request) {
  for (Rule& rule : rules_) {
    if (!rule.match(request)) continue;
    if (!rule.answers.empty()) {
      Canned c = std::move(rule.answers.front());
      rule.answers.pop_front();
      return c;
    }
    if (rule.forever) return *rule.forever;
  }
  return Canned::Answer(200);
}

void FakeTransport::Schedule(TimePoint at, std::function<void()> fn) {
  events_.push({at, seq_++, std::move(fn)});
}

void FakeTransport::Send(http::Request request, http::Callback done) {
  Canned canned = Next(request);
  sent_.push_back({request.method, request.url, HostOf(request.url), request.headers, "", now_});
  size_t record = sent_.size() - 1;
  // The body leaves at once, as far as anyone can tell; the answer comes later.
  if (canned.reads_body && request.body) {
    std::string& out = sent_[record].body;
    char buf[4096];
    for (;;) {
      auto got = request.body->Read(buf);
      if (!got.ok() || *got == 0) break;
      out.append(buf, *got);
    }
  }
  uint64_t bytes_sent = sent_[record].body.size();
  if (canned.etag_of_body) {
    canned.headers.emplace_back("etag", "\"" + hash::Hex(hash::Md5(sent_[record].body)) + "\"");
  }
  Schedule(now_ + canned.latency, [request = std::move(request), canned = std::move(canned),
                                   done = std::move(done), bytes_sent]() mutable {
    http::Response r = Complete(request, canned);
    r.bytes_sent = bytes_sent;
    done(std::move(r));
  });
}

http::Response FakeTransport::Complete(http::Request& request, const Canned& canned) {
  http::Response r;
  r.status = canned.status;
  for (const auto& [name, value] : canned.headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    r.headers.emplace_back(std::move(lower), value);
  }
  r.timing.total = std::chrono::duration<double>(canned.latency).count();
  r.timing.ttfb = r.timing.total;
  if (canned.status > 0) {
    r.bytes_received = canned.body.size();
    if (request.sink && canned.status >= 200 && canned.status < 300) {
      if (Status s = request.sink->Write(canned.body); !s.ok()) r.transport = std::move(s);
    } else {
      r.body = canned.body;
    }
  }
  if (!canned.failure.ok() && r.transport.ok()) r.transport = canned.failure;
  return r;
}

void FakeTransport::Post(std::chrono::milliseconds delay, http::TimerCallback fn) {
  Schedule(now_ + delay, [fn = std::move(fn)] { fn(Status::Ok()); });
}

int FakeTransport::RunUntilIdle(int limit) {
  int ran = 0;
  while (!events_.empty() && ran < limit) {
    // Copied out before it runs: it may queue more.
    Event e = events_.top();
    events_.pop();
    now_ = std::max(now_, e.at);
    e.fn();
    ++ran;
  }
  return ran;
}

void FakeTransport::RunUntil(TimePoint until) {
  while (!events_.empty() && events_.top().at <= until) {
    Event e = events_.top();
    events_.pop();
    now_ = std::max(now_, e.at);
    e.fn();
  }
  now_ = std::max(now_, until);
}

int FakeTransport::SentTo(const std::string& host) const {
  return static_cast<int>(
      std::count_if(sent_.begin(), sent_.end(), [&](const Sent& s) { return s.host == host; }));
}

std::chrono::milliseconds FakeTransport::Elapsed(TimePoint at) const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at - start_);
}

}  // namespace gwsync::testing
