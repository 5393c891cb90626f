#include "sync/sync.h"

#include <tbb/flow_graph.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <vector>

#include "http/pass.h"
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

std::optional<plan::Remembered> Runner::Recall(const plan::Entry* src, const plan::Entry* dst) {
  if (!options_.index || !src || !dst) return std::nullopt;
  return direction_->Recall(*options_.index, *src, *dst);
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

StatusOr<SyncReport> Runner::Run() {
  // A limit that is not a number must not mean "no limit".
  RETURN_IF_ERROR(options_.max_delete.Check());
  if (options_.changes) {
    if (!direction_->TakesChanges()) {
      return InvalidArgument("a change feed syncs a bucket to a folder only");
    }
  } else {
    // A sync that cannot read its source's root creates nothing.
    ASSIGN_OR_RETURN(src_stream_, direction_->OpenSource());
    ASSIGN_OR_RETURN(dst_stream_, direction_->OpenDestination());
  }
  RETURN_IF_ERROR(direction_->Begin());
  RunGraph();
  if (!Stopped()) direction_->End();
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
    struct Handover {
      std::mutex mu;
      std::condition_variable cv;
      Batch jobs;            // transferred, to commit; guarded by mu
      bool feeding = false;  // guarded by mu
    };
    // Shared with the loop's end-of-pass wakeups, which may come after the
    // committer saw the last job and returned.
    auto shared = std::make_shared<Handover>();
    Handover& finished = *shared;
    std::atomic<int64_t> open{0};  // fed and not yet committed
    // The committer is woken once per pass of the curl loop (http/pass.h):
    // the pass's transfers are committed as one burst.
    auto to_commit = [shared](JobPtr job) {
      {
        std::lock_guard lock(shared->mu);
        shared->jobs.push_back(std::move(job));
      }
      // No system call unless the committer sleeps.
      http::AtEndOfPass(shared.get(), [shared] { shared->cv.notify_one(); });
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
        if (direction_->BytesToHash(job->action) < kInlineHashBytes) {
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
