#include "sync/sync.h"

#include <tbb/flow_graph.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
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

// On the planner thread. Skips are counted here; what moves data goes to
// the graph, a slot at a time; deletes go to the spool.
void Runner::PlanAll(Merger& merger, const Feed& feed) {
  plan::Action a;
  const bool local = src_.kind == Location::Kind::kLocal || dst_.kind == Location::Kind::kLocal;
  while (!Stopped() && merger.Next(&a)) {
    ActionKind kind = a.kind;
    if (local && a.src && LocalRel(a).starts_with(plan::kKeyStoreDir)) {
      std::lock_guard lock(report_mu_);
      ++report_.key_store_count;  // a source key the folder holds in its key store
    }
    if (plan_options_.keep_own_manifests && a.src && plan::IsOwnManifestKey(a.src->key)) {
      std::lock_guard lock(report_mu_);
      ++report_.manifest_names_in_source;  // the bucket manifest would replace it
    }
    if (kind == ActionKind::kSkip) {
      uint64_t bytes = a.src ? a.src->size : (a.dst ? a.dst->size : 0);
      std::lock_guard lock(report_mu_);
      Count("skip: " + std::string(plan::SkipReasonName(a.reason)), bytes);
      Progress();
      continue;
    }
    if (kind == ActionKind::kDelete) {
      Status s = deletes_.Append(*a.dst);
      std::lock_guard lock(report_mu_);
      if (!s.ok()) {
        report_.AddError(Where(a), s.message());
        ++progress_.errors;
      }
      continue;
    }
    {
      std::lock_guard lock(report_mu_);
      ++progress_.planned_objects;
      if (a.src) progress_.planned_bytes += a.src->size;
    }
    if (options_.dry_run && options_.on_plan && kind != ActionKind::kVerify) options_.on_plan(a);
    auto job = std::make_shared<Job>(std::move(a));
    a = plan::Action();
    if (manifest_kept_ && kind == ActionKind::kUpload && job->action.src) {
      const plan::Entry& e = *job->action.src;
      job->manifest_kept = manifest_kept_->Find(job->action.key, e.size, e.mtime_ns);
    }
    slots_.Acquire();
    if (Stopped()) {  // while it waited for a slot
      slots_.Release();
      break;
    }
    feed(std::move(job));
  }
  std::lock_guard lock(report_mu_);
  if (Stopped()) {
    report_.interrupted = true;
  } else {
    // Every key is planned: the totals are final while the last transfers
    // (at most a slot each) still run, and the progress line can say when
    // they will end.
    progress_.listing_done = true;
    Progress(/*force=*/true);
  }
  report_.source_objects = merger.source_entries();
  report_.destination_objects = merger.destination_entries();
}

std::optional<plan::Entry> Runner::LocalEntry(const std::string& key) {
  if (!root_.fd || key.ends_with('/')) return std::nullopt;  // a marker is made again: cheap
  plan::Entry e;
  e.key = key;
  std::string rel = plan::NeedsKeyStore(key, options_.store_links) ? plan::KeyStorePath(key) : key;
  struct stat st {};
  if (!fs_.Stat(root_, rel, &st).ok() || !S_ISREG(st.st_mode)) return std::nullopt;
  e.size = static_cast<uint64_t>(st.st_size);
  e.mtime_ns = MtimeNs(st);
  e.inode = st.st_ino;
  e.mode = st.st_mode & 07777;
  if (rel != key) e.path = rel;
  return e;
}

std::optional<plan::Action> Runner::PlanChange(const Change& c) {
  if (!c.key.starts_with(src_.prefix) || c.key.size() == src_.prefix.size()) return std::nullopt;
  std::string key = c.key.substr(src_.prefix.size());
  if (!options_.range.Contains(key) || !options_.filter.Allows(key)) return std::nullopt;
  plan::Action a;
  if (!c.removed) {
    plan::Entry e;
    e.key = key;
    e.size = c.size;
    e.etag = c.etag;
    a.src = std::move(e);
  }
  a.dst = LocalEntry(key);
  std::optional<plan::Remembered> remembered;
  if (a.src && a.dst) remembered = Recall(&*a.src, &*a.dst);
  plan::Decision d = plan::Decide(a.src, a.dst, remembered, plan_options_);
  a.kind = d.kind;
  a.reason = d.reason;
  a.key = std::move(key);
  return a;
}

void Runner::Finished(uint64_t token, bool ok) {
  std::lock_guard lock(finished_mu_);  // the planner's skips and the commits'
  options_.changes->Finished(token, ok);
}

void Runner::Finished(const Job& job) {
  if (options_.changes && job.token) Finished(*job.token, job.attempt.status.ok());
}

// On the planner thread: the feed's changes, each planned against the
// folder as it is now. A change outside the sync, or already in sync, is
// finished at once; a removal waits in the spool for the last phase.
void Runner::PlanChanges(const Feed& feed) {
  Change c;
  while (!Stopped() && options_.changes->Next(&c)) {
    std::optional<plan::Action> planned = PlanChange(c);
    if (!planned) {
      Finished(c.token, true);
      continue;
    }
    plan::Action& a = *planned;
    {
      std::lock_guard lock(report_mu_);
      ++(c.removed ? report_.destination_objects : report_.source_objects);
    }
    if (a.kind == ActionKind::kSkip) {
      {
        std::lock_guard lock(report_mu_);
        Count("skip: " + std::string(plan::SkipReasonName(a.reason)), a.src ? a.src->size : 0);
        Progress();
      }
      Finished(c.token, true);
      continue;
    }
    if (a.kind == ActionKind::kDelete) {
      Status s = deletes_.Append(*a.dst, c.token);
      if (!s.ok()) {
        std::lock_guard lock(report_mu_);
        report_.AddError(Where(a), s.message());
        ++progress_.errors;
        Finished(c.token, false);
      }
      continue;
    }
    {
      std::lock_guard lock(report_mu_);
      ++progress_.planned_objects;
      if (a.src) progress_.planned_bytes += a.src->size;
    }
    if (options_.dry_run && options_.on_plan && a.kind != ActionKind::kVerify) options_.on_plan(a);
    auto job = std::make_shared<Job>(std::move(a));
    job->token = c.token;
    slots_.Acquire();
    if (Stopped()) {
      slots_.Release();
      Finished(c.token, false);
      break;
    }
    feed(std::move(job));
  }
  std::lock_guard lock(report_mu_);
  if (Stopped()) {
    report_.interrupted = true;
  } else {
    progress_.listing_done = true;
    Progress(/*force=*/true);
  }
}

// The spooled deletes that will not run: their changes come again.
void Runner::FailSpooled() {
  if (!options_.changes) return;
  deletes_.Rewind();
  plan::Entry e;
  std::optional<uint64_t> token;
  while (deletes_.Read(&e, &token)) {
    if (token) Finished(*token, false);
  }
}

// On the planner thread, once every transfer is done: the deletes, unless
// something makes them unsafe. A delete never follows a read error, an
// empty source or, unless forced, more deletes than the limits allow.
void Runner::PlanDeletes(const Feed& feed) {
  uint64_t n = deletes_.count();
  if (n == 0) return;
  std::string refusal;
  {
    std::lock_guard lock(report_mu_);
    if (report_.interrupted || Stopped()) {
      // Not an error of the data: the run did not finish, and says so.
      report_.interrupted = true;
      report_.deletes_refused = n;
      report_.AddNotice(dst_.Name(), "not deleting " + std::to_string(n) +
                                         " objects: the run was interrupted before it finished");
      FailSpooled();
      return;
    }
    // From a feed the folder held the bucket's objects and these.
    uint64_t dst_objects =
        options_.changes ? options_.changes->ObjectCount() + n : report_.destination_objects;
    if (report_.error_count > 0) {
      refusal = "not deleting " + std::to_string(n) +
                " objects: " + std::to_string(report_.error_count) +
                " errors happened in this run (" + std::to_string(source_read_errors_) +
                " reading the source); fix them and run again";
    } else if (!options_.force_delete && !options_.changes && report_.source_objects == 0) {
      refusal = "not deleting " + std::to_string(n) +
                " objects: the source lists nothing (a wrong path or prefix?); use "
                "--force-delete to delete everything at the destination";
    } else if (!options_.force_delete && !options_.max_delete.Allows(n, dst_objects)) {
      refusal = "not deleting " + std::to_string(n) + " of " + std::to_string(dst_objects) +
                " objects: more than --max-delete " + options_.max_delete.ToString() +
                " allows; use --force-delete to delete them";
    }
    if (!refusal.empty()) {
      report_.deletes_refused = n;
      report_.delete_refusals.push_back(refusal);
      ++report_.error_count;
      ++progress_.errors;
      FailSpooled();
      return;
    }
    progress_.planned_objects += n;
  }
  deletes_.Rewind();
  plan::Entry e;
  std::optional<uint64_t> token;
  while (deletes_.Read(&e, &token)) {
    plan::Action a;
    a.kind = ActionKind::kDelete;
    a.key = e.key;
    a.dst = e;
    auto job = std::make_shared<Job>(std::move(a));
    job->token = token;
    if (options_.dry_run && options_.on_plan) options_.on_plan(job->action);
    slots_.Acquire();
    feed(std::move(job));
  }
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

  // Jobs flow feeder -> prepare and start -> curl loop -> commit. A job that
  // hashes little (a small file, a download, a delete) is prepared and
  // started on the feeder's own thread, a larger file on a TBB worker, in
  // parallel. The curl loop hands each finished transfer to this (the
  // caller's) thread, which commits them one at a time: one wakeup per burst
  // of completions, where a commit as a TBB task cost a wakeup per object and
  // the arena's spinning (sched_yield) after it, more CPU than the work. The
  // loop itself never commits: a commit writes files and the index.
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  tbb::task_arena arena(std::max(2, cores), /*reserved_for_masters=*/1);
  arena.execute([&] {
    namespace flow = tbb::flow;
    flow::graph g;
    struct {
      std::mutex mu;
      std::condition_variable cv;
      std::vector<JobPtr> jobs;  // transferred, to commit; guarded by mu
      bool feeding = false;      // guarded by mu
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
    auto feed = [&](JobPtr job) {
      open.fetch_add(1);
      bool hashes =
          job->action.kind == ActionKind::kUpload || job->action.kind == ActionKind::kVerify;
      if (!hashes || FileSide(*job).size < kInlineHashBytes) {
        start_inline.try_put(std::move(job));
      } else {
        start_parallel.try_put(std::move(job));
      }
    };
    // Runs `plan` on a thread of its own, feeding the jobs, and commits on
    // this one until it is done and every job it fed is committed.
    auto run = [&](const std::function<void()>& plan) {
      finished.feeding = true;
      std::thread feeder([&] {
        plan();
        {
          std::lock_guard lock(finished.mu);
          finished.feeding = false;
        }
        finished.cv.notify_one();
      });
      std::vector<JobPtr> batch, done;
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
        for (JobPtr& job : batch) {
          if (!Commit(*job)) {
            start_parallel.try_put(std::move(job));  // round again, in the same slot
            continue;
          }
          slots_.Release();
          open.fetch_sub(1);
          if (job->token) done.push_back(std::move(job));
        }
        if (options_.index)
          options_.index->CommitBatch().IgnoreError();  // a cache: a lost write costs a re-read
        for (const JobPtr& job : done) Finished(*job);  // in the index now
        batch.clear();
        done.clear();
      }
      feeder.join();
      g.wait_for_all();
    };

    if (options_.changes) {
      run([&] { PlanChanges(feed); });
    } else {
      Merger merger(
          src_stream_.get(), dst_stream_.get(), plan_options_,
          [this](const plan::Entry& s, const plan::Entry& d) { return Recall(&s, &d); },
          [this](Merger::SideId side, const Problem& p) { OnProblem(side, p); });
      run([&] { PlanAll(merger, feed); });
    }
    {
      std::lock_guard lock(report_mu_);
      progress_.listing_done = true;
    }
    // Deletes last, after every transfer.
    run([&] { PlanDeletes(feed); });
  });
  if (!Stopped()) AbortAbandonedUploads();
  std::lock_guard lock(report_mu_);
  Progress(/*force=*/true);
  report_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return report_;
}

}  // namespace internal

StatusOr<SyncReport> RunSync(const Location& src, const Location& dst, const SyncOptions& options) {
  internal::Runner runner(src, dst, options);
  return runner.Run();
}

}  // namespace gwsync::sync
