// The steps of each job every direction shares, around its Direction's
// (direction.h): a fresh attempt before prepare, no transfer for a job
// that failed to prepare or in a dry run, and the commit's verdict, notices,
// index and report.
#include <algorithm>

#include "sync/runner.h"

namespace gwsync::sync::internal {

// On a TBB worker or the graph's thread. Each round starts from a fresh
// Attempt.
void Runner::Prepare(Job& job) {
  job.attempt = Attempt();
  job.attempt.kind = job.action.kind;
  job.attempt.reason = job.action.reason;
  direction_->Prepare(job);
}

void Runner::StartTransfer(const JobPtr& job, const Direction::Done& done) {
  if (!job->attempt.status.ok() || options_.dry_run) return done(job);
  direction_->Start(job, done);
}

// On the serial commit stage: the only place, beside the planner's skips,
// that touches the report, and the only one that writes the index.
bool Runner::Commit(Job& job) {
  const plan::Action& a = job.action;
  Attempt& at = job.attempt;
  // Only downloads and copies are ever unverifiable.
  const bool unverified =
      at.status.ok() && !options_.dry_run && at.verdict == transfer::Verdict::kUnverifiable;
  if (unverified && options_.require_verified) {
    // Not kept as if it were good (a download's temporary file goes).
    at.status = Status(StatusCode::kFailedPrecondition, at.why + " (--require-verified)");
  }
  if (!direction_->Commit(job)) return false;
  if (at.status.ok() && unverified) {
    std::lock_guard lock(report_mu_);
    report_.AddUnverified(direction_->Where(a), at.why);
  }
  if (!at.notice.empty()) {
    std::lock_guard lock(report_mu_);
    report_.AddNotice(direction_->Where(a), at.notice);
  }
  bool changed = at.status.ok() && !options_.dry_run &&
                 (at.kind != ActionKind::kSkip || at.reason == SkipReason::kSameEtag);
  if (changed && options_.index) direction_->Record(job, *options_.index);

  uint64_t bytes = a.src ? a.src->size : (a.dst ? a.dst->size : 0);
  std::lock_guard lock(report_mu_);
  if (!at.status.ok()) {
    report_.AddError(direction_->Where(a), at.status.message());
    ++progress_.errors;
  } else if (at.kind == ActionKind::kSkip) {
    Count("skip: " + std::string(plan::SkipReasonName(at.reason)), bytes);
  } else {
    Count(std::string(plan::ActionName(at.kind)), at.kind == ActionKind::kDelete ? 0 : bytes);
    ++progress_.done_objects;
    progress_.done_bytes += at.kind == ActionKind::kDelete ? 0 : bytes;
  }
  // A verify that found the content equal, or a file skipped since it was
  // replaced, was planned as a transfer.
  if (a.kind != ActionKind::kSkip && at.kind == ActionKind::kSkip) {
    progress_.planned_objects -= std::min<uint64_t>(progress_.planned_objects, 1);
    progress_.planned_bytes -= std::min(progress_.planned_bytes, bytes);
  }
  Progress();
  return true;
}

}  // namespace gwsync::sync::internal
