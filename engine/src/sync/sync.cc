#include "sync/sync.h"

#include <tbb/flow_graph.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <vector>

#include "sides/bucket_side.h"
#include "sides/local_side.h"
#include "sync/runner.h"

namespace gwsync::sync {

std::string Location::ToString() const {
  if (kind == Kind::kLocal) return "'" + path + "'";
  return "s3://" + bucket + (prefix.empty() ? "" : "/" + prefix);
}

std::string Location::Name(std::string_view key) const {
  const bool local = kind == Kind::kLocal;
  std::string root = local ? path : (remote_name.empty() ? "s3://" : remote_name + ":") + bucket;
  std::string rest = (local ? "" : prefix) + std::string(key);
  if (rest.empty()) return root;
  return root + (root.ends_with('/') ? "" : "/") + rest;
}

namespace internal {

StatusOr<std::unique_ptr<sides::EntryStream>> Runner::Open(const Location& loc, bool is_dst) {
  if (loc.kind == Location::Kind::kLocal) {
    sides::LocalListOptions o;
    o.filter = options_.filter;
    o.missing_ok = is_dst;
    o.clean_temps = is_dst && !options_.dry_run;
    o.range = options_.range;
    // Nothing is ever written or deleted through a destination's links.
    o.links = options_.store_links             ? scan::Links::kStore
              : options_.copy_links && !is_dst ? scan::Links::kFollow
                                               : scan::Links::kSkip;
    o.empty_dirs = options_.create_empty_dirs && !is_dst;
    // One handle for the walk and the reads. A root that cannot be opened
    // is left to sides::OpenLocalStream, which says why.
    if (!is_dst) {
      if (auto root = FileSystem::OpenRoot(loc.path, o.links == scan::Links::kFollow); root.ok()) {
        root_ = std::move(*root);
        o.root = root_.fd;
      }
    }
    return sides::OpenLocalStream(loc.path, o);
  }
  sides::BucketListOptions o;
  Location bucket = loc;
  bucket.prefix.clear();
  o.name = bucket.Name();  // the problems name whole keys
  o.filter = options_.filter;
  o.missing_ok = is_dst;
  o.range = options_.range;
  return sides::OpenBucketStream(*loc.client, loc.bucket, loc.prefix, o);
}

std::optional<plan::Remembered> Runner::Recall(const plan::Entry* src, const plan::Entry* dst) {
  if (!options_.index || !src || !dst) return std::nullopt;
  const std::string& key = src->key;
  plan::Remembered r;
  if (plan_options_.direction == plan::Direction::kCopy) {
    auto rec = options_.index->GetRemote(dst_.remote_id, dst_.bucket, ObjectKey(dst_, key));
    if (!rec.ok() || !rec->has_value()) return std::nullopt;
    r.etag = (*rec)->etag;
    r.source_etag = (*rec)->source_etag;
    r.refetch = (*rec)->unverified;  // a copy never proven is not in sync
    return r;
  }
  auto rec = options_.index->GetLocal(LocalPath(), key);
  if (!rec.ok() || !rec->has_value()) return std::nullopt;
  // Not as the object says (content unproven, an attribute not set): fetched again.
  r.refetch = (*rec)->unverified || (*rec)->attrs_pending;
  r.has_local = true;
  r.size = (*rec)->size;
  r.mtime_ns = (*rec)->mtime_ns;
  r.inode = (*rec)->inode;
  r.etag = (*rec)->etag;
  r.xxh3 = (*rec)->xxh3;
  return r;
}

void Runner::Count(const std::string& what, uint64_t bytes) {
  Tally& t = report_.actions[what];
  ++t.objects;
  t.bytes += bytes;
}

// Under report_mu_: at most ten progress callbacks a second, and the last.
void Runner::Progress(bool force) {
  if (!options_.on_progress) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_progress_ < std::chrono::milliseconds(100)) return;
  last_progress_ = now;
  progress_.seconds = std::chrono::duration<double>(now - start_).count();
  if (src_stream_) progress_.listed_source = src_stream_->listed();
  if (dst_stream_) progress_.listed_destination = dst_stream_->listed();
  options_.on_progress(progress_);
}

// On the planner thread.
void Runner::OnProblem(Merger::SideId side, const sides::Problem& p) {
  std::lock_guard lock(report_mu_);
  if (!p.read_error) {
    report_.AddNotice(p.path, p.status.message());
    return;
  }
  if (side == Merger::SideId::kSource) ++source_read_errors_;
  report_.AddError(p.path, p.status.message());
  ++progress_.errors;
}

Status Runner::PrepareDestination() {
  if (options_.dry_run) return Status::Ok();
  if (dst_.kind == Location::Kind::kRemote) {
    Status exists = s3::WaitStatus([&](auto done) { dst_.client->HeadBucket(dst_.bucket, done); });
    if (exists.code() == StatusCode::kNotFound && options_.create_bucket) {
      Status made =
          s3::WaitStatus([&](auto done) { dst_.client->CreateBucket(dst_.bucket, done); });
      if (!made.ok() && made.code() != StatusCode::kAlreadyExists) return made;
    } else if (!exists.ok()) {
      return exists;
    }
    return Status::Ok();
  }
  return MakeParents(JoinPath(dst_.path, "x"));
}

StatusOr<SyncReport> Runner::Run() {
  // A limit that is not a number must not mean "no limit".
  RETURN_IF_ERROR(options_.max_delete.Check());
  if (options_.changes) {
    if (plan_options_.direction != plan::Direction::kDownload) {
      return InvalidArgument("a change feed syncs a bucket to a folder only");
    }
  } else {
    // A sync that cannot read its source's root creates nothing.
    ASSIGN_OR_RETURN(src_stream_, Open(src_, false));
    ASSIGN_OR_RETURN(dst_stream_, Open(dst_, true));
  }
  RETURN_IF_ERROR(PrepareDestination());
  if (src_.kind == Location::Kind::kLocal && dst_.kind == Location::Kind::kRemote &&
      !options_.dry_run) {
    manifest_kept_ = ManifestKept::Open(src_.path);
  }
  if (dst_.kind == Location::Kind::kLocal) {
    // A download's folder exists now (not in a dry run, which needs no handle).
    auto root = FileSystem::OpenRoot(dst_.path, false);
    if (root.ok()) {
      root_ = std::move(*root);
    } else if (!options_.dry_run) {
      return root.status();
    }
  }
  RunGraph();
  if (!Stopped()) AbortAbandonedUploads();
  std::lock_guard lock(report_mu_);
  Progress(/*force=*/true);
  report_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return report_;
}

// Jobs flow planner -> prepare and start -> curl loop -> commit, through a
// TBB flow graph whose nodes the planner's thread and the caller's drive:
//
//   planner (a thread: the merge, or the feed; a slot per job, at most
//            --concurrency)
//     -> start_inline (lightweight function_node: prepared and started on
//        the planner's thread, for a job that hashes less than 64 KiB)
//      | start_parallel (function_node on TBB workers: a larger file)
//     -> the curl loop (each transfer's completion)
//     -> commit (this, the caller's thread, a burst at a time; a file that
//        changed while it was read goes to start_parallel again)
//   then the deletes the same way, once every transfer is done.
//
// The graph's workers sleep unless a large file is hashed: a commit or a
// small job as a TBB task cost a worker's wakeup per object and the arena's
// spinning (sched_yield) after it, three times the CPU of the work
// (docs/PERFORMANCE.md). The loop itself never commits: a commit writes
// files and the index.
// NOLINTNEXTLINE(readability-function-size): the graph pictured above, in one place
void Runner::RunGraph() {
  namespace flow = tbb::flow;
  tbb::task_arena arena(std::max(2, static_cast<int>(std::thread::hardware_concurrency())),
                        /*reserved_for_masters=*/1);
  arena.execute([&] {
    flow::graph g;
    struct {
      std::mutex mu;
      std::condition_variable cv;
      Batch jobs;            // transferred, to commit; guarded by mu
      bool feeding = false;  // guarded by mu
    } finished;
    std::atomic<int64_t> open{0};  // fed and not yet committed
    // Notified under the lock: once it is released the committer may see
    // the last job, return, and destroy `finished`.
    auto to_commit = [&finished](JobPtr job) {
      std::lock_guard lock(finished.mu);
      finished.jobs.push_back(std::move(job));
      finished.cv.notify_one();  // no system call unless the committer sleeps
    };
    // noexcept: TBB runs a lightweight node's body inline only then.
    auto start = [&](JobPtr job) noexcept {
      Prepare(*job);
      StartTransfer(job, to_commit);
      return flow::continue_msg();
    };
    flow::function_node<JobPtr, flow::continue_msg, flow::lightweight> start_inline(
        g, flow::unlimited, start);
    flow::function_node<JobPtr, flow::continue_msg> start_parallel(g, flow::unlimited, start);
    constexpr uint64_t kInlineHashBytes = 64 << 10;
    // On the planner's thread: each job of `next` in a slot, until none is left.
    auto feed_all = [&](const std::function<JobPtr()>& next) {
      while (JobPtr job = next()) {
        slots_.Acquire();
        if (Stopped()) {  // while it waited for a slot: it does not start
          slots_.Release();
          if (job->token) Finished(*job->token, false);
          std::lock_guard lock(report_mu_);
          report_.interrupted = true;
          break;
        }
        open.fetch_add(1);
        const ActionKind kind = job->action.kind;
        const bool hashes = kind == ActionKind::kUpload || kind == ActionKind::kVerify;
        if (!hashes || FileSide(*job).size < kInlineHashBytes) {
          start_inline.try_put(job);
        } else {
          start_parallel.try_put(job);
        }
      }
    };
    // Feeds `next` from a thread of its own and commits on this one until it
    // is done and every job it fed is committed.
    auto run = [&](const std::function<JobPtr()>& next) {
      finished.feeding = true;
      std::thread planner([&] {
        feed_all(next);
        {
          std::lock_guard lock(finished.mu);
          finished.feeding = false;
        }
        finished.cv.notify_one();
      });
      Batch batch, done;
      for (;;) {
        {
          std::unique_lock lock(finished.mu);
          finished.cv.wait(lock, [&] {
            return !finished.jobs.empty() || (!finished.feeding && open.load() == 0);
          });
          if (finished.jobs.empty()) break;
          batch.swap(finished.jobs);
        }
        // A burst's index records go to RocksDB as one write.
        if (options_.index) options_.index->BeginBatch();
        int freed = 0;
        for (JobPtr& job : batch) {
          if (!Commit(*job)) {
            start_parallel.try_put(job);  // round again, in the same slot
            continue;
          }
          ++freed;
          open.fetch_sub(1);
          if (job->token) done.push_back(std::move(job));
        }
        slots_.Release(freed);  // the burst's slots at once: one wakeup of the planner
        // A cache: a lost write costs a re-read.
        if (options_.index) options_.index->CommitBatch().IgnoreError();
        for (const JobPtr& job : done) Finished(*job);  // in the index now
        batch.clear();
        done.clear();
      }
      planner.join();
      g.wait_for_all();
    };

    std::unique_ptr<Merger> merger;
    if (!options_.changes) {
      merger = std::make_unique<Merger>(
          src_stream_.get(), dst_stream_.get(), plan_options_,
          [this](const plan::Entry& s, const plan::Entry& d) { return Recall(&s, &d); },
          [this](Merger::SideId side, const sides::Problem& p) { OnProblem(side, p); });
    }
    run([&] { return merger ? NextListed(*merger) : NextChange(); });
    {
      std::lock_guard lock(report_mu_);
      progress_.listing_done = true;
    }
    // Deletes last, after every transfer.
    run([&] { return NextDelete(); });
  });
}

}  // namespace internal

StatusOr<SyncReport> RunSync(const Location& src, const Location& dst, const SyncOptions& options) {
  internal::Runner runner(src, dst, options);
  return runner.Run();
}

}  // namespace gwsync::sync
