// The planner's sources (sync.cc, RunPhase): the next job of a run, taken
// by the graph's plan node, a credit at a time. Skips are counted here;
// deletes go to the spool, and come back as jobs in the last phase when
// nothing forbids them.
#include "sync/runner.h"

namespace gwsync::sync::internal {

// Counts and notes the planned action; the job to run, or null for an
// action that moves no data now (a skip, a delete for later).
JobPtr Runner::Admit(plan::Action& a, std::optional<uint64_t> token) {
  if (a.kind == ActionKind::kSkip) {
    {
      std::lock_guard lock(report_mu_);
      uint64_t bytes = a.src ? a.src->size : (a.dst ? a.dst->size : 0);
      Count("skip: " + std::string(plan::SkipReasonName(a.reason)), bytes);
      Progress();
    }
    if (token) Finished(*token, true);
    return nullptr;
  }
  if (a.kind == ActionKind::kDelete) {
    Status s = deletes_.Append(*a.dst, token);
    if (!s.ok()) {
      {
        std::lock_guard lock(report_mu_);
        report_.AddError(direction_->Where(a), s.message());
        ++progress_.errors;
      }
      if (token) Finished(*token, false);
    }
    return nullptr;
  }
  {
    std::lock_guard lock(report_mu_);
    ++progress_.planned_objects;
    if (a.src) progress_.planned_bytes += a.src->size;
  }
  if (options_.dry_run && options_.on_plan && a.kind != ActionKind::kVerify) options_.on_plan(a);
  auto job = std::make_shared<Job>(std::move(a));
  a = plan::Action();
  job->token = token;
  direction_->Planned(*job);
  return job;
}

// Every key is planned (or the run stops): the totals are final while the
// last transfers still run, and the progress line can say when they end.
void Runner::EndPlanning() {
  std::lock_guard lock(report_mu_);
  if (Stopped()) {
    report_.interrupted = true;
  } else {
    progress_.listing_done = true;
    Progress(/*force=*/true);
  }
}

JobPtr Runner::NextListed(Merger& merger) {
  plan::Action a;
  while (!Stopped() && merger.Next(&a)) {
    // (Bucket to bucket, no key has a local place.)
    if (a.src && direction_->LocalRel(a).starts_with(plan::kKeyStoreDir)) {
      std::lock_guard lock(report_mu_);
      ++report_.key_store_count;  // a source key the folder holds in its key store
    }
    if (plan_options_.keep_own_manifests && a.src && plan::IsOwnManifestKey(a.src->key)) {
      std::lock_guard lock(report_mu_);
      ++report_.manifest_names_in_source;  // the bucket manifest would replace it
    }
    if (JobPtr job = Admit(a, std::nullopt)) return job;
  }
  EndPlanning();
  std::lock_guard lock(report_mu_);
  report_.source_objects = merger.source_entries();
  report_.destination_objects = merger.destination_entries();
  return nullptr;
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

StatusOr<std::optional<plan::Action>> Runner::PlanChange(const Change& c) {
  using Planned = std::optional<plan::Action>;
  if (!c.key.starts_with(src_.prefix) || c.key.size() == src_.prefix.size()) return Planned();
  std::string key = c.key.substr(src_.prefix.size());
  if (!options_.range.Contains(key) || !options_.filter.Allows(key)) return Planned();
  plan::Action a;
  if (!c.removed) {
    plan::Entry e;
    e.key = key;
    e.size = c.size;
    e.etag = c.etag;
    a.src = std::move(e);
  }
  a.dst = LocalEntry(key);
  if (c.removed && a.dst && plan_options_.delete_extra) {
    // A file is deleted only on the bucket's word, not the event's: the
    // removal may be of a version that is not the current one (a versioned
    // bucket), or the key may have been written again since.
    auto head = s3::Wait<s3::ObjectHead>(
        [&](auto done) { src_.client->HeadObject(src_.bucket, c.key, done); });
    if (head.ok()) {
      plan::Entry e;
      e.key = key;
      e.size = head->size;
      e.etag = head->etag;
      a.src = std::move(e);
    } else if (head.status().code() != StatusCode::kNotFound) {
      return Status(head.status().code(),
                    "not deleted: cannot ask the bucket whether it still holds the object (" +
                        head.status().message() + ")");
    }
  }
  if (!a.src && !a.dst) return Planned();  // removed, and never in the folder: nothing to do
  std::optional<plan::Remembered> remembered;
  if (a.src && a.dst) remembered = Recall(&*a.src, &*a.dst);
  plan::Decision d = plan::Decide(a.src, a.dst, remembered, plan_options_);
  a.kind = d.kind;
  a.reason = d.reason;
  a.key = std::move(key);
  return Planned(std::move(a));
}

void Runner::Finished(uint64_t token, bool ok) {
  std::lock_guard lock(finished_mu_);  // the planner's skips and the commits'
  options_.changes->Finished(token, ok);
}

void Runner::Finished(const Job& job) {
  if (options_.changes && job.token) Finished(*job.token, job.attempt.status.ok());
}

// A run from a change feed: each change planned against the folder as it
// is now. A change outside the sync is finished at once.
JobPtr Runner::NextChange() {
  Change c;
  while (!Stopped() && options_.changes->Next(&c)) {
    StatusOr<std::optional<plan::Action>> change = PlanChange(c);
    if (!change.ok()) {
      {
        std::lock_guard lock(report_mu_);
        report_.AddError(src_.Name(c.key.substr(std::min(c.key.size(), src_.prefix.size()))),
                         change.status().message());
        ++progress_.errors;
      }
      Finished(c.token, false);
      continue;
    }
    std::optional<plan::Action>& planned = *change;
    if (!planned) {
      Finished(c.token, true);
      continue;
    }
    {
      std::lock_guard lock(report_mu_);
      ++(c.removed ? report_.destination_objects : report_.source_objects);
    }
    if (JobPtr job = Admit(*planned, c.token)) return job;
  }
  EndPlanning();
  return nullptr;
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

// Why the spooled deletes must not run, if they must not: never after a
// read error, from an empty source or, unless forced, beyond the limits.
// Under report_mu_.
std::string Runner::DeleteRefusal(uint64_t n) const {
  // From a feed the folder held the bucket's objects and these.
  uint64_t dst_objects =
      options_.changes ? options_.changes->ObjectCount() + n : report_.destination_objects;
  if (report_.error_count > 0) {
    return "not deleting " + std::to_string(n) +
           " objects: " + std::to_string(report_.error_count) + " errors happened in this run (" +
           std::to_string(source_read_errors_) + " reading the source); fix them and run again";
  }
  if (!options_.force_delete && !options_.changes && report_.source_objects == 0) {
    return "not deleting " + std::to_string(n) +
           " objects: the source lists nothing (a wrong path or prefix?); use "
           "--force-delete to delete everything at the destination";
  }
  if (!options_.force_delete && !options_.max_delete.Allows(n, dst_objects)) {
    return "not deleting " + std::to_string(n) + " of " + std::to_string(dst_objects) +
           " objects: more than --max-delete " + options_.max_delete.ToString() +
           " allows; use --force-delete to delete them";
  }
  return "";
}

// Whether the spooled deletes may run, said once, before the first.
bool Runner::DeletesAllowed() {
  uint64_t n = deletes_.count();
  if (n == 0) return false;
  {
    std::lock_guard lock(report_mu_);
    if (report_.interrupted || Stopped()) {
      // Not an error of the data: the run did not finish, and says so.
      report_.interrupted = true;
      report_.deletes_refused = n;
      report_.AddNotice(dst_.Name(), "not deleting " + std::to_string(n) +
                                         " objects: the run was interrupted before it finished");
    } else if (std::string refusal = DeleteRefusal(n); !refusal.empty()) {
      report_.deletes_refused = n;
      report_.delete_refusals.push_back(refusal);
      ++report_.error_count;
      ++progress_.errors;
    } else {
      progress_.planned_objects += n;
      deletes_.Rewind();
      return true;
    }
  }
  FailSpooled();
  return false;
}

// The last phase, once every transfer is done: the spooled deletes.
JobPtr Runner::NextDelete() {
  if (!deletes_checked_) {
    deletes_checked_ = true;
    deletes_allowed_ = DeletesAllowed();
  }
  plan::Entry e;
  std::optional<uint64_t> token;
  if (!deletes_allowed_ || !deletes_.Read(&e, &token)) return nullptr;
  plan::Action a;
  a.kind = ActionKind::kDelete;
  a.key = e.key;
  a.dst = e;
  auto job = std::make_shared<Job>(std::move(a));
  job->token = token;
  if (options_.dry_run && options_.on_plan) options_.on_plan(job->action);
  return job;
}

}  // namespace gwsync::sync::internal
