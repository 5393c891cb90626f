#include "sync/sync.h"

#include <tbb/flow_graph.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <tuple>
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

// In the plan node.
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

// Jobs flow through a TBB flow graph, one phase at a time (RunPhase): the
// listed and changed jobs, then the deletes, once every transfer is done.
//
//   plan (serial: takes jobs from the merge, or the feed, while it holds
//   |     credits; --concurrency of them at the start)
//   +-> prepare_small (lightweight: prepared and started in plan's task,
//   |                  for a job that hashes less than 64 KiB)
//   +-> prepare_large (async: prepared on the CPU pool, util::Workers, and
//   |                  started there)
//   -> transfer (async: its completion comes back from the curl loop, a
//   |            pass's completions as one batch)
//   -> commit (serial: rename, attributes, index batch, report; a file that
//        |     changed while it was read goes to prepare_large again)
//        +-> plan (the credits of the committed jobs, several at a time)
//
// The caller's thread runs the graph's tasks, in an arena of its own with
// no worker: every node but the CPU pool's work runs there, so no job
// changes thread between planning and commit. When the graph has no task
// left that thread sleeps until the curl loop or the CPU pool hands it
// one: TBB's own wait would spin (about 100 sched_yield calls each time
// the graph runs dry, once per pass of the loop; docs/PERFORMANCE.md).
void Runner::RunGraph() {
  tbb::task_arena arena(1, /*reserved_for_masters=*/1);
  arena.execute([&] {
    std::unique_ptr<Merger> merger;
    if (!options_.changes) {
      merger = std::make_unique<Merger>(
          src_stream_.get(), dst_stream_.get(), plan_options_,
          [this](const plan::Entry& s, const plan::Entry& d) { return Recall(&s, &d); },
          [this](Merger::SideId side, const sides::Problem& p) { OnProblem(side, p); });
    }
    RunPhase([&] { return merger ? NextListed(*merger) : NextChange(); });
    {
      std::lock_guard lock(report_mu_);
      progress_.listing_done = true;
    }
    RunPhase([&] { return NextDelete(); });
  });
}

// NOLINTNEXTLINE(readability-function-size): the graph pictured above, in one place
void Runner::RunPhase(const std::function<JobPtr()>& next) {
  namespace flow = tbb::flow;
  flow::graph g;

  // What the graph's thread shares with the threads that call into the
  // graph from outside it (the curl loop, the CPU pool). Held by each
  // call, which may end after the graph is gone.
  struct Outside {
    std::mutex mu;
    std::condition_variable cv;
    Batch completed;     // transfers done, not yet handed to commit
    int64_t calls = 0;   // calls into the graph under way
    bool woken = false;  // a call queued a task since the graph's thread looked
  };
  auto outside = std::make_shared<Outside>();
  // `put` queues a task of the graph from another thread; the graph's
  // thread is woken to run it, and cannot end the phase while `put` runs.
  auto call_in = [](Outside& o, const std::function<void()>& put) {
    {
      std::lock_guard lock(o.mu);
      ++o.calls;
    }
    put();
    std::lock_guard lock(o.mu);
    --o.calls;
    o.woken = true;
    o.cv.notify_one();
  };

  // A job that will not start: its change comes again, and the run says so.
  auto drop = [this](const Job& job) {
    if (job.token) Finished(*job.token, false);
    std::lock_guard lock(report_mu_);
    report_.interrupted = true;
  };

  // Plan: a credit per job it may start. It takes the next job before it
  // has a credit for it, as soon as the last one went, so the totals are
  // known while the last jobs still run. While it holds a job and no credit,
  // every credit is in flight, so a commit always brings it back.
  int64_t credits = 0;
  int64_t open = 0;      // jobs started and not yet committed
  JobPtr held;           // taken, waiting for a credit
  bool planned = false;  // `next` gave its last job (or the run stopped)
  constexpr uint64_t kInlineHashBytes = 64 << 10;
  using PlanNode = flow::multifunction_node<int64_t, std::tuple<JobPtr, JobPtr>>;
  PlanNode plan(g, flow::serial, [&](int64_t freed, PlanNode::output_ports_type& out) {
    credits += freed;
    while (!planned) {
      if (!held) held = next();
      if (!held) {
        planned = true;
      } else if (credits == 0) {
        break;
      } else if (Stopped()) {  // while it waited for a credit: it does not start
        drop(*held);
        held.reset();
        planned = true;
      } else {
        --credits;
        ++open;
        if (direction_->BytesToHash(held->action) < kInlineHashBytes) {
          std::get<0>(out).try_put(held);
        } else {
          std::get<1>(out).try_put(held);
        }
        held.reset();
      }
    }
  });

  // noexcept: TBB runs a lightweight node's body inline only then.
  flow::function_node<JobPtr, JobPtr, flow::lightweight> prepare_small(g, flow::unlimited,
                                                                       [this](JobPtr job) noexcept {
                                                                         Prepare(*job);
                                                                         return job;
                                                                       });
  using Offload = flow::async_node<JobPtr, JobPtr>;
  Offload prepare_large(g, flow::unlimited,
                        [&](const JobPtr& job, Offload::gateway_type& gateway) noexcept {
                          workers_.Run([this, job, &gateway, outside, call_in] {
                            Prepare(*job);
                            call_in(*outside, [&] { gateway.try_put(job); });
                          });
                        });

  // A pass's completions, committed as one batch. The jobs wait in
  // `outside` (under its lock); the graph carries only the signal that
  // some are there, so what a job holds is handed over by a lock that
  // ThreadSanitizer sees, not by TBB's queues, which it cannot.
  using Transfer = flow::async_node<JobPtr, flow::continue_msg>;
  Transfer* transfer_node = nullptr;
  auto flush = [outside, call_in, &transfer_node] {
    {
      std::lock_guard lock(outside->mu);
      if (outside->completed.empty()) return;  // an earlier signal's commit took them
    }
    call_in(*outside, [&] { transfer_node->gateway().try_put(flow::continue_msg()); });
  };
  auto to_commit = [outside, flush](JobPtr job) {
    {
      std::lock_guard lock(outside->mu);
      outside->completed.push_back(std::move(job));
    }
    http::AtEndOfPass(outside.get(), flush);
  };
  Transfer transfer(g, flow::unlimited, [&](const JobPtr& job, Transfer::gateway_type&) noexcept {
    StartTransfer(job, to_commit);
  });
  transfer_node = &transfer;

  // The credits go back to plan several at a time: plan runs again once
  // an eighth of them is free. While plan waits for credits, more than
  // that many jobs are in flight, so their commits always bring it back.
  const int64_t wake = std::max(1, options_.concurrency / 8);
  int64_t freed = 0;
  Batch batch, done;
  using CommitNode = flow::multifunction_node<flow::continue_msg, std::tuple<int64_t, JobPtr>>;
  CommitNode commit(g, flow::serial,
                    [&](const flow::continue_msg&, CommitNode::output_ports_type& out) {
                      {
                        std::lock_guard lock(outside->mu);
                        batch.swap(outside->completed);
                      }
                      if (batch.empty()) return;
                      // A batch's index records go to RocksDB as one write.
                      if (options_.index) options_.index->BeginBatch();
                      for (JobPtr& job : batch) {
                        if (!Commit(*job)) {
                          std::get<1>(out).try_put(job);  // round again, with the same credit
                          continue;
                        }
                        ++freed;
                        --open;
                        if (job->token) done.push_back(std::move(job));
                      }
                      // A cache: a lost write costs a re-read.
                      if (options_.index) options_.index->CommitBatch().IgnoreError();
                      for (const JobPtr& job : done) Finished(*job);  // in the index now
                      batch.clear();
                      done.clear();
                      if (freed >= wake) {
                        std::get<0>(out).try_put(freed);
                        freed = 0;
                      }
                    });

  flow::make_edge(flow::output_port<0>(plan), prepare_small);
  flow::make_edge(flow::output_port<1>(plan), prepare_large);
  flow::make_edge(prepare_small, transfer);
  flow::make_edge(prepare_large, transfer);
  flow::make_edge(transfer, commit);
  flow::make_edge(flow::output_port<0>(commit), plan);
  flow::make_edge(flow::output_port<1>(commit), prepare_large);

  plan.try_put(std::max(1, options_.concurrency));
  for (;;) {
    g.wait_for_all();  // the tasks queued, and those they queue
    std::unique_lock lock(outside->mu);
    if (outside->woken) {
      outside->woken = false;
      continue;
    }
    // Nothing in flight and no call under way: nothing can come.
    if (open == 0 && outside->calls == 0) break;
    outside->cv.wait(lock, [&] { return outside->woken; });
  }
  // Plan must have had its last job; a phase never ends silently short.
  if (!planned) {
    std::lock_guard lock(report_mu_);
    report_.AddError(src_.ToString(), "internal error: the pipeline ended before its last job");
    ++progress_.errors;
  }
}

}  // namespace internal

StatusOr<SyncReport> RunSync(const Location& src, const Location& dst, const SyncOptions& options) {
  internal::Runner runner(src, dst, options);
  return runner.Run();
}

}  // namespace gwsync::sync
