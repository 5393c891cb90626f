#include "loadgen/runner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <thread>

#include "loadgen/bench.h"
#include "s3/listing.h"

namespace gwsync::loadgen {
namespace {

std::string UtcNow(const char* format) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), format, &tm);
  return buf;
}

}  // namespace

int BenchOptions::DefaultObjects() const {
  if (mix.entries().size() == 1 && mix.Has(Op::kDelete)) return 5000;
  double mean = std::max(1.0, sizes.Mean());
  return static_cast<int>(std::clamp((1024.0 * 1024 * 1024) / mean, 16.0, 1000.0));
}

template <typename T>
StatusOr<T> Bench::Call(std::string_view api, const std::function<void(s3::Done<T>)>& start) {
  return s3::Wait<T>([&](s3::Done<T> done) {
    start([this, api, done](StatusOr<T> r) {
      CountRequest(api, nullptr);
      done(std::move(r));
    });
  });
}

Status Bench::CallStatus(std::string_view api, const std::function<void(s3::DoneStatus)>& start) {
  return s3::WaitStatus([&](s3::DoneStatus done) {
    start([this, api, done](Status s) {
      CountRequest(api, nullptr);
      done(std::move(s));
    });
  });
}

Status Bench::Claim() {
  const std::string& b = o_.bucket;
  Status head = CallStatus("HeadBucket", [&](auto done) { client_.HeadBucket(b, done); });
  if (head.code() == StatusCode::kNotFound) {
    RETURN_IF_ERROR(CallStatus("CreateBucket", [&](auto done) { client_.CreateBucket(b, done); }));
    report_.created_bucket = true;
    Note("created bucket " + b);
  } else if (!head.ok()) {
    return head;
  } else {
    s3::ListOptions lo;
    lo.prefix = o_.prefix;
    lo.max_keys = 1;
    ASSIGN_OR_RETURN(s3::ListPage page, Call<s3::ListPage>("ListObjects", [&](auto done) {
                       client_.ListObjects(b, lo, done);
                     }));
    if (!page.objects.empty()) {
      std::string where = "s3://" + b + "/" + o_.prefix;
      return Status(StatusCode::kFailedPrecondition,
                    where + " already holds objects (e.g. '" + page.objects[0].key +
                        "'): bench writes only into an empty bucket or prefix; name one, e.g. " +
                        where + "bench/");
    }
  }
  return Status::Ok();
}

Status Bench::Prepare() {
  if (!needs_working_set_) return Status::Ok();
  const uint64_t n = static_cast<uint64_t>(report_.objects);
  Note("writing a working set of " + std::to_string(n) + " objects under " + report_.run_prefix +
       "ws/ (not counted)");
  auto start = Clock::now();
  int parallel = std::max(16, *std::max_element(o_.concurrency.begin(), o_.concurrency.end()));
  {
    std::unique_lock lock(mu_);
    live_ = {};
    closed_loop_ = true;
    stopping_ = false;
  }
  for (int i = 0; i < parallel && static_cast<uint64_t>(i) < n; ++i) {
    Start(Op::kPut, Clock::now(), Window::kPrepare);
  }
  std::unique_lock lock(mu_);
  while (in_flight_ > 0) {
    cv_.wait_for(lock, std::chrono::milliseconds(200));
    if (StopRequested()) stopping_ = true;
    lock.unlock();
    ReportProgress("prepare", start, 0);
    lock.lock();
  }
  report_.prepare.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (StopRequested()) return Status(StatusCode::kCancelled, "interrupted");
  if (working_.size() < n) {
    return Internal("could not write the working set: " + std::to_string(n - working_.size()) +
                    " of " + std::to_string(n) + " PUTs failed (" + report_.prepare.first_error +
                    ")");
  }
  // Reads pick keys at random; the order they were written in does not matter.
  std::sort(working_.begin(), working_.end(),
            [](const Object& a, const Object& b) { return a.key < b.key; });
  return Status::Ok();
}

void Bench::ReportProgress(const std::string& stage, Clock::time_point since, double length) {
  if (!o_.on_progress) return;
  Progress p;
  {
    std::lock_guard lock(mu_);
    p = live_;
  }
  p.stage = stage;
  p.concurrency = phase_ ? phase_->concurrency : 0;
  p.elapsed = std::chrono::duration<double>(Clock::now() - since).count();
  p.length = length;
  o_.on_progress(p);
}

// NOLINTNEXTLINE(readability-function-size): clock, issue loop and tally share locals
void Bench::RunPhase(int concurrency) {
  PhaseResult& phase = report_.phases.emplace_back();
  phase.concurrency = concurrency;
  phase.rate = o_.rate;
  phase.endpoints.resize(report_.endpoints.size());
  auto start = Clock::now();
  {
    std::lock_guard lock(mu_);
    phase_ = &phase;
    warmup_end_ = start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(o_.warmup));
    end_ = warmup_end_ +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.duration));
    closed_loop_ = o_.rate <= 0;
    stopping_ = false;
    live_ = {};
  }
  Note("phase: concurrency " + std::to_string(concurrency) +
       (o_.rate > 0 ? ", " + std::to_string(static_cast<int>(o_.rate)) + " ops/s scheduled" : ""));
  auto window_of = [&](Clock::time_point at) {
    return at < warmup_end_ ? Window::kWarmup : Window::kMeasure;
  };
  if (closed_loop_) {
    for (int i = 0; i < concurrency; ++i) {
      {
        std::lock_guard lock(mu_);
        if (exhausted_) break;
      }
      auto now = Clock::now();
      Start(PickOp(), now, window_of(now));
    }
  }
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(o_.rate > 0 ? 1 / o_.rate : 0));
  auto next = start;
  auto last_progress = start;
  std::optional<CpuSample> cpu_start;
  bool warm = false;
  for (;;) {
    auto now = Clock::now();
    if (!cpu_start && now >= warmup_end_) cpu_start = CpuSample::Now();
    if (!warm && now >= warmup_end_) {
      warm = true;
      std::lock_guard lock(mu_);
      live_ = {};
    }
    bool exhausted;
    {
      std::lock_guard lock(mu_);
      exhausted = exhausted_;
    }
    if (now >= end_ || StopRequested() || exhausted) break;
    if (now - last_progress >= std::chrono::milliseconds(200)) {
      last_progress = now;
      if (warm) {
        ReportProgress("measure", warmup_end_, o_.duration);
      } else {
        ReportProgress("warm-up", start, o_.warmup);
      }
    }
    if (closed_loop_) {
      std::this_thread::sleep_until(
          std::min({end_, warm ? end_ : warmup_end_, now + std::chrono::milliseconds(100)}));
      continue;
    }
    // Open loop: send what is due, as long as the in-flight cap allows.
    if (now < next) {
      std::this_thread::sleep_until(std::min(next, now + std::chrono::milliseconds(100)));
      continue;
    }
    {
      std::unique_lock lock(mu_);
      if (in_flight_ >= concurrency) {
        cv_.wait_for(lock, std::chrono::milliseconds(20));
        continue;
      }
    }
    if (next >= end_) break;
    Start(PickOp(), next, window_of(next));
    next += interval;
  }
  auto stop = Clock::now();
  CpuSample cpu_end = CpuSample::Now();
  if (!closed_loop_ && next < end_ && interval.count() > 0 && stop >= end_) {
    phase.unsent = static_cast<uint64_t>((end_ - next) / interval);
  }
  std::unique_lock lock(mu_);
  stopping_ = true;
  cv_.wait(lock, [&] { return in_flight_ == 0; });
  phase.interrupted = StopRequested();
  phase.seconds =
      std::max(0.0, std::chrono::duration<double>(std::min(stop, end_) - warmup_end_).count());
  if (cpu_start) phase.cpu = CpuBetween(*cpu_start, cpu_end);
  phase_ = nullptr;
}

void Bench::Cleanup() {
  auto start = Clock::now();
  Note("deleting what the run wrote under " + report_.run_prefix);
  const std::string& b = o_.bucket;
  auto fail = [&](const Status& s) {
    if (report_.cleanup.errors++ == 0) report_.cleanup.first_error = s.message();
  };
  s3::ListingOptions lo;
  lo.prefix = report_.run_prefix;
  lo.on_answer = [this] { CountRequest("ListObjects", nullptr); };
  // Passes until a listing finds nothing: what a listing shows only later
  // is deleted too. An object that stays listed after a successful delete
  // is a stale index entry on the gateway: reported, not retried forever.
  uint64_t found = 0;
  for (int pass = 0; pass < 3; ++pass) {
    found = 0;
    // --list-limit, with no HEAD: every request of the run is counted.
    lo.budget = std::make_shared<s3::ListBudget>(std::nullopt, client_.options().list_limit);
    s3::ObjectListing listing(client_, b, lo);
    s3::ListPage page;
    for (;;) {
      auto more = listing.Next(&page);
      if (!more.ok()) {
        fail(more.status());
        break;
      }
      if (!*more) break;
      std::vector<std::string> keys;
      for (const auto& obj : page.objects) keys.push_back(obj.key);
      found += keys.size();
      if (!keys.empty()) {
        auto r = Call<std::vector<s3::DeleteError>>(
            "DeleteObjects", [&](auto done) { client_.DeleteObjects(b, keys, done); });
        if (!r.ok()) {
          fail(r.status());
        } else {
          report_.cleanup.objects += keys.size() - r->size();
          if (!r->empty()) fail(Internal("could not delete " + r->front().key));
        }
      }
    }
    if (found == 0 || report_.cleanup.errors) break;
  }
  if (found > 0 && report_.cleanup.errors == 0) {
    fail(Internal("the gateway still lists " + std::to_string(found) +
                  " objects it reports deleted (stale bucket index entries; on radosgw, "
                  "`radosgw-admin bucket check --fix --check-objects --bucket " +
                  b + "` repairs them)"));
  }
  if (used_multipart_) {
    // Uploads cut short by an interruption (or a failed part or completion)
    // hold parts until aborted: every page of them, within --list-limit and
    // with no HEAD, each list request counted as the run's.
    s3::UploadListing uploads(
        client_, b, std::make_shared<s3::ListBudget>(std::nullopt, client_.options().list_limit),
        [this] { CountRequest("ListMultipartUploads", nullptr); });
    s3::UploadsPage page;
    for (;;) {
      auto more = uploads.Next(&page);
      if (!more.ok()) fail(more.status());
      if (!more.ok() || !*more) break;
      for (const auto& u : page.uploads) {
        if (!u.key.starts_with(report_.run_prefix)) continue;
        Status s = CallStatus("AbortMultipartUpload", [&](auto done) {
          client_.AbortMultipartUpload(b, u.key, u.upload_id, done);
        });
        if (!s.ok()) fail(s);
      }
    }
  }
  if (report_.created_bucket && report_.cleanup.errors == 0) {
    Status s = CallStatus("DeleteBucket", [&](auto done) { client_.DeleteBucket(b, done); });
    if (!s.ok()) fail(s);
  }
  report_.cleanup.seconds = std::chrono::duration<double>(Clock::now() - start).count();
}

StatusOr<BenchReport> Bench::Run() {
  if (o_.sizes.entries().empty()) return InvalidArgument("no object sizes given");
  if (o_.concurrency.empty()) return InvalidArgument("no concurrency level given");
  if (o_.mix.Has(Op::kDelete) && !delete_only_ && !o_.mix.Has(Op::kPut) &&
      !o_.mix.Has(Op::kMultipartPut)) {
    return InvalidArgument(
        "a mix with delete needs put (or mpput) too: deletes remove objects the run has put");
  }
  if (o_.part_size < (5u << 20)) return InvalidArgument("the part size must be at least 5MiB");
  if (o_.prefix.size() && o_.prefix.back() != '/') o_.prefix += '/';
  if (o_.run_id.empty()) {
    char suffix[8];
    std::snprintf(suffix, sizeof(suffix), "%04x", static_cast<unsigned>(rng_() & 0xffff));
    o_.run_id = UtcNow("%Y%m%d-%H%M%S-") + suffix;
  }
  report_.run_id = o_.run_id;
  report_.bucket = o_.bucket;
  report_.run_prefix = o_.prefix + "gwsync-bench-" + o_.run_id + "/";
  report_.started_at = UtcNow("%Y-%m-%dT%H:%M:%SZ");
  report_.objects = needs_working_set_ ? (o_.objects > 0 ? o_.objects : o_.DefaultObjects()) : 0;

  RETURN_IF_ERROR(Claim());
  Status s = Prepare();
  if (s.ok()) {
    for (int c : o_.concurrency) {
      if (StopRequested()) break;
      RunPhase(c);
      std::lock_guard lock(mu_);
      if (exhausted_) break;
    }
  }
  report_.interrupted = StopRequested();
  if (!o_.keep_data) Cleanup();
  if (!s.ok() && s.code() != StatusCode::kCancelled) return s;
  report_.saturation = SaturationIndex(report_.phases);
  report_.options = o_;
  report_.options.on_progress = nullptr;
  report_.options.on_note = nullptr;
  report_.options.stop = nullptr;
  return std::move(report_);
}

StatusOr<std::vector<uint64_t>> ListSizes(const s3::Client& client, const std::string& bucket,
                                          const std::string& prefix, size_t limit) {
  std::vector<uint64_t> sizes;
  s3::ListingOptions lo;
  lo.prefix = prefix;
  s3::ObjectListing listing(client, bucket, std::move(lo));
  s3::ListPage page;
  while (sizes.size() < limit) {
    ASSIGN_OR_RETURN(bool more, listing.Next(&page));
    if (!more) break;
    for (const auto& obj : page.objects) {
      if (sizes.size() < limit) sizes.push_back(obj.size);
    }
  }
  return sizes;
}

StatusOr<BenchReport> RunBench(const s3::Client& client, BenchOptions options) {
  return Bench(client, std::move(options)).Run();
}

}  // namespace gwsync::loadgen
