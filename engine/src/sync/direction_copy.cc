// A sync from a bucket to a bucket: each object copied by transfer/copy.cc
// (server-side within a cluster, through memory across clusters), nothing
// to prepare or put in place, and remembered in the index under the
// destination bucket.
#include "sync/direction.h"

namespace gwsync::sync::internal {
namespace {

class Copy final : public Direction {
 public:
  explicit Copy(Context& ctx) : ctx_(ctx) {}

  StatusOr<std::unique_ptr<sides::EntryStream>> OpenSource() override {
    return ctx_.OpenBucket(ctx_.src, /*is_dst=*/false);
  }
  StatusOr<std::unique_ptr<sides::EntryStream>> OpenDestination() override {
    return ctx_.OpenBucket(ctx_.dst, /*is_dst=*/true);
  }
  Status Begin() override { return ctx_.PrepareBucket(); }
  void End() override { ctx_.AbortAbandonedUploads(); }

  std::optional<plan::Remembered> Recall(index::Index& idx, const plan::Entry& src,
                                         const plan::Entry& /*dst*/) override {
    auto rec =
        idx.GetRemote(ctx_.dst.remote_id, ctx_.dst.bucket, ctx_.ObjectKey(ctx_.dst, src.key));
    if (!rec.ok() || !rec->has_value()) return std::nullopt;
    plan::Remembered r;
    r.etag = (*rec)->etag;
    r.source_etag = (*rec)->source_etag;
    r.refetch = (*rec)->unverified;  // a copy never proven is not in sync
    return r;
  }
  std::string LocalRel(const plan::Action& /*a*/) const override { return ""; }
  std::string Where(const plan::Action& a) const override {
    return a.kind == ActionKind::kDelete ? ctx_.dst.Name(a.key) : ctx_.src.Name(a.key);
  }

  void Prepare(Job& /*job*/) override {}  // nothing to open or hash

  void Start(const JobPtr& job, const Done& done) override {
    if (job->attempt.kind == ActionKind::kDelete) return ctx_.DeleteObject(job, done);
    if (job->attempt.kind != ActionKind::kCopy) return done(job);
    transfer::TransferOptions t = ctx_.transfer;
    t.expected_etag = job->action.src->etag;
    t.expected_size = job->action.src->size;
    transfer::StartCopy(*ctx_.src.client, ctx_.src.bucket,
                        ctx_.ObjectKey(ctx_.src, job->action.key), *ctx_.dst.client,
                        ctx_.dst.bucket, ctx_.ObjectKey(ctx_.dst, job->action.key), t,
                        [job, done](StatusOr<transfer::UploadResult> r) {
                          if (r.ok()) {
                            job->attempt.etag = r->etag;
                            job->attempt.verdict = r->verdict;
                            job->attempt.why = r->why;
                          } else {
                            job->attempt.status = r.status();
                          }
                          done(job);
                        });
  }

  bool Commit(Job& /*job*/) override { return true; }  // the copy is in place

  // Remembers the copy (and the source ETag it was made from), so the next
  // run need not compare it again.
  void Record(const Job& job, index::Index& idx) override {
    const plan::Action& a = job.action;
    const std::string key = ctx_.ObjectKey(ctx_.dst, a.key);
    if (job.attempt.kind == ActionKind::kDelete) {
      idx.DeleteRemote(ctx_.dst.remote_id, ctx_.dst.bucket, key).IgnoreError();
      return;
    }
    index::RemoteRecord r;
    r.size = a.src->size;
    r.etag = job.attempt.etag.empty() ? a.src->etag : job.attempt.etag;
    r.source_etag = a.src->etag;
    r.unverified = job.attempt.verdict == transfer::Verdict::kUnverifiable;
    idx.PutRemote(ctx_.dst.remote_id, ctx_.dst.bucket, key, r).IgnoreError();
  }

 private:
  Context& ctx_;
};

}  // namespace

std::unique_ptr<Direction> MakeCopy(Context& ctx) { return std::make_unique<Copy>(ctx); }

}  // namespace gwsync::sync::internal
