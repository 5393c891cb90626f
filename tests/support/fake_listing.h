// A stand-in gateway for listing tests that need no Ceph: a Transport that
// answers ListObjectsV2 (prefix, delimiter, continuation-token, start-after,
// max-keys; keys url-encoded, so any byte passes) over a sorted set of keys, on a thread of its own
// as the curl loop would, and can be told to misbehave (repeat a token, send a key out of order or
// outside the prefix). It counts list requests and the most it had in
// flight at once, and takes DeleteObjects (POST ?delete), recording the keys
// asked for without removing them. Safe from any thread. Destroying it is
// its shutdown: what is pending then completes with kCancelled on the
// destroying thread, so destroy it before what its callbacks use.
#pragma once

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "http/request.h"

namespace gwsync::testing {

class FakeListing final : public http::Transport {
 public:
  struct Page {
    std::vector<std::string> keys;
    std::vector<std::string> prefixes;
    bool truncated = false;
    std::string next_token;
  };
  // May rewrite a page before it is sent (the misbehaviour under test).
  using Tamper = std::function<void(const std::string& prefix, const std::string& delimiter,
                                    const std::string& token, Page* page)>;

  explicit FakeListing(std::vector<std::string> keys, size_t page_size = 1000)
      : keys_(std::move(keys)), page_size_(page_size) {
    std::sort(keys_.begin(), keys_.end());
    thread_ = std::thread([this] { Loop(); });
  }
  ~FakeListing() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
      cv_.notify_all();
    }
    thread_.join();
    // What those completions send or post joins the queue: drained in turn.
    for (;;) {
      Task t;
      {
        std::lock_guard lock(mu_);
        if (queue_.empty()) break;
        t = std::move(queue_.front());
        queue_.pop_front();
      }
      t.fn(Status(StatusCode::kCancelled, "the fake gateway shut down"));
    }
  }
  void set_tamper(Tamper t) {
    std::lock_guard lock(mu_);
    tamper_ = std::move(t);
  }
  // Answer as a gateway that does not know start-after.
  void set_ignore_start_after(bool ignore) {
    std::lock_guard lock(mu_);
    ignore_start_after_ = ignore;
  }
  // Each answer waits this long (a slow gateway), so requests overlap.
  void set_delay(std::chrono::milliseconds d) {
    std::lock_guard lock(mu_);
    delay_ = d;
  }

  // What HEAD bucket says the bucket holds (X-RGW-Object-Count); nullopt:
  // nothing, as a gateway that is not RGW.
  void set_object_count(std::optional<uint64_t> count) {
    std::lock_guard lock(mu_);
    object_count_ = count;
  }

  void Send(http::Request request, http::Callback done) override {
    std::lock_guard lock(mu_);
    if (request.method == "HEAD") {  // HEAD bucket: answered at once, not counted
      http::Response r;
      r.status = 200;
      if (object_count_)
        r.headers.emplace_back("x-rgw-object-count", std::to_string(*object_count_));
      queue_.push_back({std::chrono::steady_clock::now(), [r, done](Status due) mutable {
                          if (!due.ok()) r.transport = std::move(due);
                          done(std::move(r));
                        }});
      cv_.notify_all();
      return;
    }
    ++requests_;
    max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
    queue_.push_back({std::chrono::steady_clock::now() + delay_, [this, request, done](Status due) {
                        http::Response r;
                        if (due.ok()) {
                          r = Answer(request);
                        } else {
                          r.transport = std::move(due);
                        }
                        {
                          std::lock_guard lock(mu_);
                          --in_flight_;
                        }
                        done(std::move(r));
                      }});
    cv_.notify_all();
  }
  void Post(std::chrono::milliseconds delay, http::TimerCallback fn) override {
    std::lock_guard lock(mu_);
    queue_.push_back({std::chrono::steady_clock::now() + delay, std::move(fn)});
    cv_.notify_all();
  }

  int requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int max_in_flight() {
    std::lock_guard lock(mu_);
    return max_in_flight_;
  }
  // Every key a DeleteObjects request named, in order.
  std::vector<std::string> deleted() {
    std::lock_guard lock(mu_);
    return deleted_;
  }

 private:
  struct Task {
    std::chrono::steady_clock::time_point when;
    http::TimerCallback fn;
  };

  void Loop() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      if (queue_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto it = std::min_element(queue_.begin(), queue_.end(),
                                 [](const Task& a, const Task& b) { return a.when < b.when; });
      if (it->when > std::chrono::steady_clock::now()) {
        cv_.wait_until(lock, it->when);
        continue;
      }
      Task t = std::move(*it);
      queue_.erase(it);
      lock.unlock();
      t.fn(Status::Ok());
      lock.lock();
    }
  }

  static std::string Decode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size()) {
        out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
      } else {
        out.push_back(s[i] == '+' ? ' ' : s[i]);
      }
    }
    return out;
  }
  static std::string Param(const std::string& url, const std::string& name) {
    size_t q = url.find('?');
    if (q == std::string::npos) return "";
    std::string query = url.substr(q + 1);
    size_t pos = 0;
    while (pos <= query.size()) {
      size_t amp = query.find('&', pos);
      std::string kv = query.substr(pos, amp - pos);
      size_t eq = kv.find('=');
      if (kv.substr(0, eq) == name) return eq == std::string::npos ? "" : Decode(kv.substr(eq + 1));
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
    return "";
  }
  // EncodingType=url: every byte but letters, digits, "-._~/" as %XX.
  static std::string Escape(const std::string& s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
        out.push_back(static_cast<char>(c));
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
    return out;
  }

  http::Response AnswerDelete(const http::Request& req) {
    std::string body;
    if (req.body) {
      char buf[4096];
      for (;;) {
        auto n = req.body->Read(std::span<char>(buf, sizeof buf));
        if (!n.ok() || *n == 0) break;
        body.append(buf, *n);
      }
    }
    std::lock_guard lock(mu_);
    for (size_t at = body.find("<Key>"); at != std::string::npos; at = body.find("<Key>", at)) {
      size_t end = body.find("</Key>", at);
      deleted_.push_back(body.substr(at + 5, end - at - 5));
      at = end;
    }
    http::Response r;
    r.status = 200;
    r.body = "<DeleteResult></DeleteResult>";
    return r;
  }

  // The token is the index of the next key to list.
  http::Response Answer(const http::Request& req) {
    if (req.method == "POST") return AnswerDelete(req);
    std::string prefix = Param(req.url, "prefix"), delimiter = Param(req.url, "delimiter");
    std::string token = Param(req.url, "continuation-token");
    std::string start_after = Param(req.url, "start-after");
    bool ignore_start_after;
    {
      std::lock_guard lock(mu_);
      ignore_start_after = ignore_start_after_;
    }
    size_t i = token.empty() ? std::lower_bound(keys_.begin(), keys_.end(), prefix) - keys_.begin()
                             : std::stoul(token);
    if (token.empty() && !start_after.empty() && !ignore_start_after) {
      i = std::max<size_t>(
          i, std::upper_bound(keys_.begin(), keys_.end(), start_after) - keys_.begin());
    }
    Page page;
    while (i < keys_.size() && keys_[i].starts_with(prefix) &&
           page.keys.size() + page.prefixes.size() < page_size_) {
      const std::string& k = keys_[i];
      size_t d = delimiter.empty() ? std::string::npos : k.find(delimiter, prefix.size());
      if (d == std::string::npos) {
        page.keys.push_back(k);
        ++i;
        continue;
      }
      std::string common = k.substr(0, d + delimiter.size());
      page.prefixes.push_back(common);
      while (i < keys_.size() && keys_[i].starts_with(common)) ++i;
    }
    if (i < keys_.size() && keys_[i].starts_with(prefix)) {
      page.truncated = true;
      page.next_token = std::to_string(i);
    }
    Tamper tamper;
    {
      std::lock_guard lock(mu_);
      tamper = tamper_;
    }
    if (tamper) tamper(prefix, delimiter, token, &page);
    std::string xml = "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>";
    xml += page.truncated ? "true" : "false";
    xml += "</IsTruncated>";
    if (page.truncated)
      xml += "<NextContinuationToken>" + page.next_token + "</NextContinuationToken>";
    for (const auto& k : page.keys) {
      xml += "<Contents><Key>" + Escape(k) + "</Key><Size>" + std::to_string(k.size()) +
             "</Size><ETag>\"etag-" + Escape(k) + "\"</ETag></Contents>";
    }
    for (const auto& p : page.prefixes) {
      xml += "<CommonPrefixes><Prefix>" + Escape(p) + "</Prefix></CommonPrefixes>";
    }
    xml += "</ListBucketResult>";
    http::Response r;
    r.status = 200;
    r.body = std::move(xml);
    return r;
  }

  std::vector<std::string> keys_;
  const size_t page_size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  Tamper tamper_;
  std::chrono::milliseconds delay_{0};
  std::vector<std::string> deleted_;
  int requests_ = 0, in_flight_ = 0, max_in_flight_ = 0;
  bool stop_ = false;
  bool ignore_start_after_ = false;
  std::optional<uint64_t> object_count_;
  std::thread thread_;
};

}  // namespace gwsync::testing
