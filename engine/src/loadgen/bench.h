// The engine of one benchmark run (RunBench): shared by runner.cc, which
// drives the phases, and operations.cc, which sends each operation and
// records its outcome. Private to loadgen/.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "loadgen/body.h"
#include "loadgen/runner.h"

namespace gwsync::loadgen {

using Clock = std::chrono::steady_clock;

enum class Window { kPrepare, kWarmup, kMeasure };

struct Object {
  std::string key;
  uint64_t size = 0;
  std::chrono::steady_clock::time_point written{};
};

// Deletes in a mix take objects written at least this long ago: radosgw
// completes a PUT's bucket index entry after it answers, and a delete that
// overtakes it leaves a stale entry listed for ever.
constexpr auto kSettle = std::chrono::seconds(1);

// One run; see RunBench. Operations start on the caller's thread or on the
// transport's (when one ends and its worker starts the next); the state
// they share is guarded by mu_.
class Bench {
 public:
  Bench(const s3::Client& client, BenchOptions options)
      : client_(client), o_(std::move(options)), block_(PatternBlock()) {
    rng_.seed(o_.seed ? o_.seed : std::random_device{}());
    delete_only_ = o_.mix.entries().size() == 1 && o_.mix.Has(Op::kDelete);
    needs_working_set_ =
        o_.mix.Has(Op::kGet) || o_.mix.Has(Op::kHead) || o_.mix.Has(Op::kList) || delete_only_;
    const auto& opts = client_.options();
    report_.endpoints.push_back(opts.endpoint.BaseUrl());
    for (const auto& e : opts.more_endpoints) report_.endpoints.push_back(e.BaseUrl());
    report_.requests.resize(report_.endpoints.size());
  }

  StatusOr<BenchReport> Run();

 private:
  struct Task {
    Op op = Op::kPut;
    Window window = Window::kMeasure;
    Clock::time_point scheduled;
    std::string key;
    uint64_t size = 0;              // object bytes the operation moves when it succeeds
    std::vector<std::string> keys;  // delete
    std::shared_ptr<CountingSink> sink;
    std::string upload_id;            // multipart
    std::vector<s3::PartInfo> parts;  // confirmed, in any order until completed
    int parts_started = 0;
    int parts_in_flight = 0;
    bool parts_done = false;
    Status part_error;
    std::mutex part_mu;  // the parts' completions may come from two clusters' loops
    uint64_t ttfb_us = 0;
    int endpoint = 0;  // of the last request
    ErrorClass error = ErrorClass::kOther;
  };

  Status Claim();
  Status Prepare();
  void RunPhase(int concurrency);
  void Cleanup();
  void Note(const std::string& line) {
    if (o_.on_note) o_.on_note(line);
  }
  bool StopRequested() const { return o_.stop && o_.stop->load(); }

  // Counts the request whose completion callback is running (transport thread).
  s3::AttemptInfo CountRequest(std::string_view api, Task* task);
  template <typename T>
  StatusOr<T> Call(std::string_view api, const std::function<void(s3::Done<T>)>& start);
  Status CallStatus(std::string_view api, const std::function<void(s3::DoneStatus)>& start);

  // Picks the operation's object(s) and sends it; false when there is nothing
  // left to do (a delete-only run that used up its objects).
  bool Start(Op op, Clock::time_point scheduled, Window window);
  void Send(std::shared_ptr<Task> t);
  void SendParts(std::shared_ptr<Task> t);
  void Finish(std::shared_ptr<Task> t, const Status& s);
  std::shared_ptr<http::BodySource> Body(uint64_t size) {
    return std::make_shared<PatternSource>(block_, size, body_offset_++ * 4099);
  }
  Op PickOp() {
    std::lock_guard lock(mu_);
    return o_.mix.Pick(rng_);
  }
  void ReportProgress(const std::string& stage, Clock::time_point since, double length);

  const s3::Client& client_;
  BenchOptions o_;
  std::shared_ptr<const std::string> block_;
  BenchReport report_;
  bool delete_only_ = false;
  bool needs_working_set_ = false;
  bool used_multipart_ = false;

  std::mutex mu_;
  std::condition_variable cv_;  // in_flight_ went down
  std::mt19937_64 rng_;
  std::vector<Object> working_;  // read by get/head, consumed only by delete-only runs
  std::deque<Object> fresh_;     // put by the run: what deletes in a mix remove
  uint64_t next_put_ = 0;
  uint64_t next_prepare_ = 0;
  // Taken by Send on the caller's thread (preparing) and on the curl loop's
  // (the next operation once one finishes): atomic.
  std::atomic<uint64_t> body_offset_{0};
  int in_flight_ = 0;
  bool closed_loop_ = true;
  bool stopping_ = false;
  bool exhausted_ = false;
  Clock::time_point warmup_end_, end_;
  PhaseResult* phase_ = nullptr;
  Progress live_;  // the current stage's counts
};

}  // namespace gwsync::loadgen
