// A sync from a folder to a bucket: each file opened and hashed by
// prepare, sent by transfer/upload.cc (one PUT, or parts with checkpoints
// in the index), checked unchanged by the commit (else sent again), and
// remembered in the index under the folder.
#include <sys/stat.h>
#include <sys/xattr.h>

#include <string_view>

#include "sync/direction.h"
#include "sync/manifest_kept.h"
#include "transfer/etag.h"

namespace gwsync::sync::internal {
namespace {

Attempt::Upload& Up(Job& job) { return std::get<Attempt::Upload>(job.attempt.own); }

class Upload final : public Direction {
 public:
  explicit Upload(Context& ctx) : ctx_(ctx) {}

  StatusOr<std::unique_ptr<sides::EntryStream>> OpenSource() override {
    return ctx_.OpenFolder(ctx_.src, /*is_dst=*/false);
  }
  StatusOr<std::unique_ptr<sides::EntryStream>> OpenDestination() override {
    return ctx_.OpenBucket(ctx_.dst, /*is_dst=*/true);
  }
  Status Begin() override {
    RETURN_IF_ERROR(ctx_.PrepareBucket());
    if (!ctx_.options.dry_run) manifest_kept_ = ManifestKept::Open(ctx_.src.path);
    return Status::Ok();
  }
  void End() override { ctx_.AbortAbandonedUploads(); }

  std::optional<plan::Remembered> Recall(index::Index& idx, const plan::Entry& src,
                                         const plan::Entry& /*dst*/) override {
    return ctx_.RecallLocal(idx, ctx_.src.path, src.key);
  }
  std::string LocalRel(const plan::Action& a) const override { return ctx_.LocalRel(a.key, a.src); }
  std::string Where(const plan::Action& a) const override { return ctx_.dst.Name(a.key); }
  // A restore from a backup folder: what its run manifest keeps of the file.
  void Planned(Job& job) override {
    if (manifest_kept_ && job.action.kind == ActionKind::kUpload && job.action.src) {
      const plan::Entry& e = *job.action.src;
      job.manifest_kept = manifest_kept_->Find(job.action.key, e.size, e.mtime_ns);
    }
  }
  uint64_t BytesToHash(const plan::Action& a) const override {
    const bool hashes = a.kind == ActionKind::kUpload || a.kind == ActionKind::kVerify;
    return hashes ? a.src->size : 0;
  }

  void Prepare(Job& job) override;
  void Start(const JobPtr& job, const Done& done) override;
  bool Commit(Job& job) override;
  void Record(const Job& job, index::Index& idx) override;

 private:
  // An empty local folder listed as its marker (--create-empty-src-dirs),
  // not a marker object kept in the key store.
  static bool IsMarker(const Job& job) {
    return job.action.key.ends_with('/') && (!job.action.src || job.action.src->path.empty());
  }
  void PrepareLink(Job& job);
  void PrepareFile(Job& job);
  void StartFile(const JobPtr& job, transfer::TransferOptions t,
                 const transfer::UploadDone& finished);

  Context& ctx_;
  // A restore's source folder's latest run manifest (the plan node's).
  std::unique_ptr<ManifestKept> manifest_kept_;
};

// On a TBB worker or the graph's thread: hashing and opening, never network.
void Upload::Prepare(Job& job) {
  Attempt& at = job.attempt;
  Attempt::Upload& up = at.own.emplace<Attempt::Upload>();
  // A later round is a file that changed while it was sent: sent again.
  if (job.rounds > 0) at.kind = ActionKind::kUpload;
  at.local = LocalRel(job.action);
  if (ctx_.options.dry_run) return;
  if (at.kind == ActionKind::kVerify) {
    if (ctx_.SameContent(job, *job.action.src, *job.action.dst, ctx_.src.path)) return;
    at.kind = ActionKind::kUpload;
  }
  if (at.kind != ActionKind::kUpload) return;
  if (job.action.src->link) return PrepareLink(job);
  if (IsMarker(job)) {
    up.st = {};  // an empty object; the folder's time and mode as metadata
    up.st.st_mtim.tv_sec = job.action.src->mtime_ns / 1000000000;
    up.st.st_mtim.tv_nsec = job.action.src->mtime_ns % 1000000000;
    up.st.st_mode = job.action.src->mode;
    up.md5 = hash::Md5("");
    return;
  }
  PrepareFile(job);
}

// --links: the object holds the link's target.
void Upload::PrepareLink(Job& job) {
  Attempt& at = job.attempt;
  Attempt::Upload& up = Up(job);
  auto target = ctx_.fs.ReadLink(ctx_.root, LinkName(job.action.key), &up.st);
  if (!target.ok()) {
    if (target.status().code() == StatusCode::kFailedPrecondition) {
      SkipReplaced(at, target.status().message() + " (changed since it was listed)");
    } else {
      at.status = target.status();
    }
    return;
  }
  up.st.st_size = static_cast<off_t>(target->size());
  up.inline_body = *target;
  up.md5 = hash::Md5(*target);
}

void Upload::PrepareFile(Job& job) {
  Attempt& at = job.attempt;
  Attempt::Upload& up = Up(job);
  const std::string path = ctx_.root.PathOf(at.local);
  auto fd = ctx_.OpenListed(*job.action.src, at.local, &up.st, at);
  if (!fd) return;
  // From here on the commit compares the file with `st`: a change, even
  // one that made a read fail, sends it again.
  up.fd = std::move(fd);
  // What the object kept, when gwsync downloaded this very file.
  char attr[65536];
  ssize_t n = fgetxattr(up.fd->get(), kHeadersXattr, attr, sizeof attr);
  if (n > 0) {
    up.kept = DecodeKeptAttr(std::string_view(attr, static_cast<size_t>(n)),
                             static_cast<uint64_t>(up.st.st_size), MtimeNs(up.st));
  } else if (job.manifest_kept && static_cast<uint64_t>(up.st.st_size) == job.action.src->size &&
             MtimeNs(up.st) == job.action.src->mtime_ns) {
    up.kept = job.manifest_kept;  // the run manifest's, for the file as listed
  }
  const uint64_t size = static_cast<uint64_t>(up.st.st_size);
  const uint64_t threshold = ctx_.options.transfer.multipart_threshold;
  if (size <= kReadWhole && size < threshold) {
    std::string body(size, '\0');
    auto read = ctx_.fs.Pread(up.fd->get(), path, body, 0);
    if (!read.ok() || *read != size) {
      at.status = read.ok() ? DataLoss("'" + path + "' changed while it was read") : read.status();
      return;
    }
    up.md5 = hash::Md5(body);
    at.xxh3 = hash::Xxh3Hex(body);
    up.small_body = std::move(body);
  } else if (size < threshold) {
    auto digests = transfer::DigestsOfRange(up.fd->get(), 0, size);
    if (!digests.ok()) {
      at.status = digests.status();
      return;
    }
    up.md5 = digests->md5;
    at.xxh3 = std::move(digests->xxh3);
  }
}

void Upload::Start(const JobPtr& job, const Done& done) {
  if (job->attempt.kind == ActionKind::kDelete) return ctx_.DeleteObject(job, done);
  if (job->attempt.kind != ActionKind::kUpload) return done(job);
  const std::string key = ctx_.ObjectKey(ctx_.dst, job->action.key);
  Attempt::Upload& up = Up(*job);
  transfer::TransferOptions t = ctx_.transfer;
  t.metadata = EncodeAttrs(MtimeNs(up.st), up.st.st_mode, up.st.st_uid, up.st.st_gid);
  if (up.kept) ApplyKept(*up.kept, &t.content_type, &t.content, &t.metadata, &t.tagging);
  auto finished = [job, done](StatusOr<transfer::UploadResult> r) {
    if (r.ok()) {
      job->attempt.etag = r->etag;
    } else {
      job->attempt.status = r.status();
    }
    done(job);
  };
  if (!up.fd) {  // a link's target, an empty folder's marker
    return transfer::StartPutBody(*ctx_.dst.client, up.inline_body, ctx_.dst.bucket, key, t,
                                  finished);
  }
  if (up.small_body) {  // read whole and hashed by prepare
    std::string body = std::move(*up.small_body);
    up.small_body.reset();
    return transfer::StartPutBody(*ctx_.dst.client, std::move(body), ctx_.dst.bucket, key, t,
                                  finished, up.md5);
  }
  StartFile(job, std::move(t), finished);
}

// A file of more than kReadWhole: one PUT from the file, or parts, with
// its progress in the index.
void Upload::StartFile(const JobPtr& job, transfer::TransferOptions t,
                       const transfer::UploadDone& finished) {
  const std::string key = ctx_.ObjectKey(ctx_.dst, job->action.key);
  const Attempt::Upload& up = Up(*job);
  uint64_t size = static_cast<uint64_t>(up.st.st_size);
  std::optional<hash::Md5Digest> md5;
  if (size < t.multipart_threshold) {
    md5 = up.md5;  // hashed by Prepare
  } else if (ctx_.options.index) {
    t.checkpoint = ctx_.UploadCheckpoints(key);
  }
  // A multipart upload takes the file's xxh3 (for its records) as it reads
  // the parts; when it resumed parts an earlier run sent, it is one more
  // read, from the page cache.
  auto sent = [this, job, finished, size](StatusOr<transfer::UploadResult> r) {
    if (r.ok() && job->attempt.xxh3.empty()) job->attempt.xxh3 = r->xxh3;
    if (!r.ok() || !job->attempt.xxh3.empty()) return finished(std::move(r));
    ctx_.workers.Run([job, finished, size, r = std::move(r)]() mutable {
      auto xxh3 = transfer::Xxh3OfRange(Up(*job).fd->get(), 0, size);
      if (xxh3.ok()) job->attempt.xxh3 = std::move(*xxh3);  // else none is recorded
      finished(std::move(r));
    });
  };
  transfer::StartUploadFile(
      *ctx_.dst.client,
      transfer::FileToUpload{JoinPath(ctx_.src.path, job->attempt.local), up.fd, md5, up.st},
      ctx_.dst.bucket, key, t, sent);
}

bool Upload::Commit(Job& job) {
  Attempt& at = job.attempt;
  Attempt::Upload& up = Up(job);
  if (!ctx_.options.dry_run && at.kind == ActionKind::kUpload && up.fd) {
    // A file that changed while it was read goes round again, a few times,
    // whatever the round's outcome: a failed read may be the change's doing
    // (a file that shrank).
    struct stat now {};
    if (!ctx_.fs.Stat(ctx_.root, at.local, &now).ok() || !SameFile(now, up.st)) {
      std::string why = "'" + ctx_.root.PathOf(at.local) + "' changed while it was read";
      at.status = DataLoss(at.status.ok() ? why : why + " (" + at.status.message() + ")");
      if (++job.rounds < Job::kMaxRounds) return false;
    } else {
      up.st_current = true;
    }
  }
  up.fd.reset();
  return true;
}

// Remembers the file as sent (or found equal), so the next run need not
// read it again.
void Upload::Record(const Job& job, index::Index& idx) {
  const plan::Action& a = job.action;
  const Attempt& at = job.attempt;
  if (at.kind == ActionKind::kDelete) {
    idx.DeleteLocal(ctx_.src.path, a.key).IgnoreError();
    return;
  }
  if (IsMarker(job)) return;
  const Attempt::Upload& up = std::get<Attempt::Upload>(at.own);
  struct stat st = up.st;
  if (!up.st_current) {
    if (!ctx_.root.fd || !ctx_.fs.Stat(ctx_.root, at.local, &st).ok()) return;
    if (at.kind == ActionKind::kUpload && !SameFile(st, up.st)) return;
  }
  index::LocalRecord r = Context::LocalRecordOf(st, at);
  if (at.kind == ActionKind::kUpload && transfer::EtagIsMd5(at.etag)) r.md5 = at.etag;
  idx.PutLocal(ctx_.src.path, a.key, r).IgnoreError();
}

}  // namespace

std::unique_ptr<Direction> MakeUpload(Context& ctx) { return std::make_unique<Upload>(ctx); }

}  // namespace gwsync::sync::internal
