// A Transport that forwards to another and counts what passes, split into
// object requests (a key in the path) and bucket-level requests (listings,
// bucket operations). Safe from any thread.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "http/request.h"

namespace gwsync::testing {

class CountingTransport final : public http::Transport {
 public:
  explicit CountingTransport(http::Transport* inner) : inner_(inner) {}
  void Send(http::Request request, http::Callback done) override {
    {
      std::lock_guard lock(mu_);
      ++counts_[Classify(request)];
    }
    inner_->Send(std::move(request), std::move(done));
  }
  void Post(std::chrono::milliseconds delay, http::TimerCallback fn) override {
    inner_->Post(delay, std::move(fn));
  }
  // "PUT object", "GET object", "HEAD object", "GET bucket", "POST object", ...
  int Count(const std::string& what) {
    std::lock_guard lock(mu_);
    return counts_[what];
  }
  int ObjectDataRequests() {
    return Count("GET object") + Count("PUT object") + Count("HEAD object") + Count("POST object");
  }
  void Reset() {
    std::lock_guard lock(mu_);
    counts_.clear();
  }

 private:
  static std::string Classify(const http::Request& r) {
    // http://host:port/bucket[/key][?query]
    size_t path = r.url.find('/', r.url.find("://") + 3);
    std::string p = path == std::string::npos ? "/" : r.url.substr(path);
    p = p.substr(0, p.find('?'));
    size_t second = p.find('/', 1);
    bool object = second != std::string::npos && second + 1 < p.size();
    return r.method + (object ? " object" : " bucket");
  }

  http::Transport* inner_;
  std::mutex mu_;
  std::map<std::string, int> counts_;
};

}  // namespace gwsync::testing
