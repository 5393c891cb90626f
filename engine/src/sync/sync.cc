#include "sync/sync.h"

#include <algorithm>
#include <vector>

#include "sync/bucket_side.h"
#include "sync/local_side.h"
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

StatusOr<std::unique_ptr<EntryStream>> Runner::Open(const Location& loc, bool is_dst) {
  if (loc.kind == Location::Kind::kLocal) {
    LocalListOptions o;
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
    // is left to OpenLocalStream, which says why.
    if (!is_dst) {
      if (auto root = FileSystem::OpenRoot(loc.path, o.links == scan::Links::kFollow); root.ok()) {
        root_ = std::move(*root);
        o.root = root_.fd;
      }
    }
    return OpenLocalStream(loc.path, o);
  }
  BucketListOptions o;
  Location bucket = loc;
  bucket.prefix.clear();
  o.name = bucket.Name();  // the problems name whole keys
  o.filter = options_.filter;
  o.missing_ok = is_dst;
  o.range = options_.range;
  return OpenBucketStream(*loc.client, loc.bucket, loc.prefix, o);
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
void Runner::OnProblem(Merger::SideId side, const Problem& p) {
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
  const s3::Client* client = src_.kind == Location::Kind::kRemote ? src_.client : dst_.client;
  loop_ = client ? client->transport() : nullptr;
  util::CpuArena().execute([&] { RunGraph(); });
  if (!Stopped()) AbortAbandonedUploads();
  std::lock_guard lock(report_mu_);
  Progress(/*force=*/true);
  report_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return report_;
}

// A job the transfer stage is done with (on the curl loop's thread, mostly):
// completions are gathered while the loop works through a pass, and the
// whole pass goes to the commit stage at once, from a timer the loop runs
// before it waits again.
void Runner::ToCommit(JobPtr job) {
  bool post;
  {
    std::lock_guard lock(pending_mu_);
    pending_.push_back(std::move(job));
    post = !flush_posted_;
    flush_posted_ = true;
  }
  if (!post) return;
  if (!loop_) return Flush();
  // Cancelled (a transport shutting down) or not, the pass is handed on.
  loop_->Post(std::chrono::milliseconds(0), [this](const Status&) { Flush(); });
}

void Runner::Flush() {
  Batch batch;
  {
    std::lock_guard lock(pending_mu_);
    batch.swap(pending_);
    flush_posted_ = false;
  }
  const size_t n = batch.size();
  TransferNode::gateway_type* gateway = gateway_;
  gateway->try_put(std::move(batch));
  // The graph may end at the last of these: nothing of this runner after.
  for (size_t i = 0; i < n; ++i) gateway->release_wait();
}

// On the serial commit node: one burst of completions, its index records as
// one RocksDB write; the slots of what is done freed by one message, so the
// planner is woken once per burst. A job that goes round again keeps its
// slot.
void Runner::CommitBurst(Batch& batch, CommitNode::output_ports_type& out) {
  if (options_.index) options_.index->BeginBatch();
  int64_t done = 0;
  Batch finished;
  for (JobPtr& job : batch) {
    if (!Commit(*job)) {
      std::get<1>(out).try_put(std::move(job));  // round again
      continue;
    }
    ++done;
    if (job->token) finished.push_back(std::move(job));
  }
  // A cache: a lost write costs a re-read.
  if (options_.index) options_.index->CommitBatch().IgnoreError();
  for (const JobPtr& job : finished) Finished(*job);  // in the index now
  if (done > 0) std::get<0>(out).try_put(done);
}

// The pipeline (docs/DESIGN.md, "The pipeline"):
//
//   planner (input_node: the merge, or the feed) --+
//   deleter (input_node: the spool, last phase) ---+-> slots (limiter_node)
//     -> route: a job that hashes little is prepared here, inline;
//               one that hashes more goes to prepare (function_node);
//               after a signal, a job is dropped
//     -> transfer (async_node: started on the curl loop, completions back
//        through its gateway, a loop pass at a time)
//     -> commit (serial multifunction_node) -> slots' decrementer, or
//        prepare again for a file that changed while it was read.
//
// Memory is bounded by the limiter, whatever the number of keys.
void Runner::RunGraph() {
  namespace flow = tbb::flow;
  flow::graph g;
  std::unique_ptr<Merger> merger;
  if (!options_.changes) {
    merger = std::make_unique<Merger>(
        src_stream_.get(), dst_stream_.get(), plan_options_,
        [this](const plan::Entry& s, const plan::Entry& d) { return Recall(&s, &d); },
        [this](Merger::SideId side, const Problem& p) { OnProblem(side, p); });
  }
  // An input_node calls its body again whenever a successor asks it for an
  // item, also after the body said stop: a source that has ended stays
  // ended. (The node runs its body under its own lock, one call at a time.)
  auto source = [](auto next) {
    return [next, ended = false](tbb::flow_control& fc) mutable {
      JobPtr job = ended ? nullptr : next();
      ended = !job;
      if (ended) fc.stop();
      return job;
    };
  };
  flow::input_node<JobPtr> planner(
      g, source([&] { return merger ? NextListed(*merger) : NextChange(); }));
  flow::input_node<JobPtr> deleter(g, source([&] { return NextDelete(); }));
  flow::limiter_node<JobPtr, int64_t> slots(g,
                                            static_cast<size_t>(std::max(1, options_.concurrency)));

  using RouteNode =
      flow::multifunction_node<JobPtr, std::tuple<JobPtr, JobPtr, JobPtr>, flow::lightweight>;
  constexpr uint64_t kInlineHashBytes = 64 << 10;
  RouteNode route(g, flow::unlimited, [&](JobPtr job, RouteNode::output_ports_type& out) noexcept {
    if (Stopped()) {
      std::get<2>(out).try_put(std::move(job));
      return;
    }
    const ActionKind kind = job->action.kind;
    const bool hashes = kind == ActionKind::kUpload || kind == ActionKind::kVerify;
    if (!hashes || FileSide(*job).size < kInlineHashBytes) {
      Prepare(*job);
      std::get<0>(out).try_put(std::move(job));
    } else {
      std::get<1>(out).try_put(std::move(job));
    }
  });
  flow::function_node<JobPtr, JobPtr> prepare(g, static_cast<size_t>(util::CpuThreads()),
                                              [&](JobPtr job) noexcept {
                                                Prepare(*job);
                                                return job;
                                              });
  // A job a signal kept from starting frees its slot; its change comes again.
  flow::function_node<JobPtr, int64_t> drop(g, flow::serial, [&](JobPtr job) noexcept {
    if (job->token) Finished(*job->token, false);
    std::lock_guard lock(report_mu_);
    report_.interrupted = true;
    return int64_t{1};
  });
  TransferNode transfer(g, flow::unlimited,
                        [&](JobPtr job, TransferNode::gateway_type& gateway) noexcept {
                          gateway.reserve_wait();  // until Flush hands it on
                          StartTransfer(job, [this](JobPtr done) { ToCommit(std::move(done)); });
                        });
  gateway_ = &transfer.gateway();
  CommitNode commit(g, flow::serial, [&](Batch batch, CommitNode::output_ports_type& out) noexcept {
    CommitBurst(batch, out);
  });

  flow::make_edge(planner, slots);
  flow::make_edge(deleter, slots);
  flow::make_edge(slots, route);
  flow::make_edge(flow::output_port<0>(route), transfer);
  flow::make_edge(flow::output_port<1>(route), prepare);
  flow::make_edge(flow::output_port<2>(route), drop);
  flow::make_edge(drop, slots.decrementer());
  flow::make_edge(prepare, transfer);
  flow::make_edge(transfer, commit);
  flow::make_edge(flow::output_port<0>(commit), slots.decrementer());
  flow::make_edge(flow::output_port<1>(commit), prepare);

  planner.activate();
  g.wait_for_all();
  {
    std::lock_guard lock(report_mu_);
    progress_.listing_done = true;
  }
  // Deletes last, after every transfer.
  deleter.activate();
  g.wait_for_all();
}

}  // namespace internal

StatusOr<SyncReport> RunSync(const Location& src, const Location& dst, const SyncOptions& options) {
  internal::Runner runner(src, dst, options);
  return runner.Run();
}

}  // namespace gwsync::sync
