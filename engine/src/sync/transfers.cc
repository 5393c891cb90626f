// Each object's transfer in a sync: prepared (opened, hashed) before it
// starts, started on the machines of transfer/, and committed (attributes,
// rename, index, report) once they are done.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "http/bodies.h"
#include "sync/metadata.h"
#include "sync/runner.h"
#include "transfer/dest_dir.h"
#include "transfer/etag.h"

namespace gwsync::sync::internal {

std::string JoinPath(const std::string& root, const std::string& key) {
  if (root.empty() || root.back() == '/') return root + key;
  return root + "/" + key;
}

Status MakeParents(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return Status::Ok();
  std::string dir = path.substr(0, slash);
  struct stat st {};
  if (stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::Ok();
  RETURN_IF_ERROR(MakeParents(dir));
  if (mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST) {
    return transfer::ErrnoStatus("cannot create folder '" + dir + "'", errno);
  }
  return Status::Ok();
}

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
         a.st_mtim.tv_nsec == b.st_mtim.tv_nsec && a.st_ino == b.st_ino;
}

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

namespace {

// Whether the file holds the object's bytes (transfer/etag.h); an ETag of
// no known form cannot say so, and costs a transfer.
StatusOr<bool> ContentMatchesEtag(int fd, uint64_t size, const std::string& etag,
                                  uint64_t our_part_size) {
  ASSIGN_OR_RETURN(transfer::CheckResult check,
                   transfer::CheckFd(fd, size, etag, std::nullopt, our_part_size));
  return check.verdict == transfer::Verdict::kVerified;
}

// Restores the attributes an object carries onto a downloaded file, still
// under its temporary name (created 0600), so the real name never shows
// other attributes. A bucket is not trusted with more than the permission
// bits: setuid, setgid and sticky only with --preserve-special-bits, the
// owner only with --preserve-owner.
void ApplyAttrs(int fd, const s3::ObjectHead& head, const SyncOptions& options) {
  FileAttrs attrs = DecodeAttrs(head.metadata);
  if (!attrs.mtime_ns) attrs.mtime_ns = ParseHttpDate(head.last_modified);
  mode_t mode = attrs.mode ? *attrs.mode : transfer::DefaultFileMode();
  if (!options.preserve_special_bits) mode &= 0777;
  if (options.restore_owner && attrs.uid && attrs.gid &&
      (*attrs.uid != geteuid() || *attrs.gid != getegid())) {
    if (fchown(fd, *attrs.uid, *attrs.gid) != 0) {
      // Not fatal: the bytes are in place; the owner is best effort.
    }
  }
  // After fchown, which clears setuid and setgid.
  fchmod(fd, mode);
  if (attrs.mtime_ns) {
    struct timespec times[2];
    times[0].tv_sec = 0;
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = *attrs.mtime_ns / 1000000000;
    times[1].tv_nsec = *attrs.mtime_ns % 1000000000;
    if (times[1].tv_nsec < 0) {
      times[1].tv_sec -= 1;
      times[1].tv_nsec += 1000000000;
    }
    futimens(fd, times);
  }
}

}  // namespace

// On a TBB worker: hashing and opening, never network.
void Runner::Prepare(Job& job) {
  job.kind = job.action.kind;
  job.reason = job.action.reason;
  job.status = Status::Ok();
  if (options_.dry_run) return;
  if (job.kind == ActionKind::kVerify) {
    const plan::Entry& file = FileSide(job);
    const plan::Entry& object =
        plan_options_.direction == plan::Direction::kUpload ? *job.action.dst : *job.action.src;
    std::string path = JoinPath(LocalRoot(), file.key);
    transfer::Fd fd(file.link ? -1 : open(path.c_str(), O_RDONLY | O_CLOEXEC | NoFollow()));
    StatusOr<bool> same =
        file.link ? LinkMatchesEtag(file.key, object.etag)
        : fd.get() < 0
            ? StatusOr<bool>(transfer::ErrnoStatus("cannot read '" + path + "'", errno))
            : ContentMatchesEtag(fd.get(), file.size, object.etag, options_.transfer.part_size);
    if (!same.ok()) {
      job.status = same.status();
      return;
    }
    if (*same) {
      job.kind = ActionKind::kSkip;
      job.reason = SkipReason::kSameEtag;
      job.etag = object.etag;
      return;
    }
    job.kind = plan_options_.direction == plan::Direction::kUpload ? ActionKind::kUpload
                                                                   : ActionKind::kDownload;
  }
  if (job.kind == ActionKind::kUpload && job.action.src->link) {
    std::string path = LinkPath(src_.path, job.action.key);
    auto target = ReadLink(path);
    if (!target.ok() || lstat(path.c_str(), &job.st) != 0) {
      job.status = target.ok() ? transfer::ErrnoStatus("cannot read '" + path + "'", errno)
                               : target.status();
      return;
    }
    job.st.st_size = static_cast<off_t>(target->size());
    job.inline_body = *target;
    job.md5 = hash::Md5(*target);
    return;
  }
  if (job.kind == ActionKind::kUpload && IsMarker(job)) {
    job.st = {};  // an empty object; the folder's time and mode as metadata
    job.st.st_mtim.tv_sec = job.action.src->mtime_ns / 1000000000;
    job.st.st_mtim.tv_nsec = job.action.src->mtime_ns % 1000000000;
    job.st.st_mode = job.action.src->mode;
    job.md5 = hash::Md5("");
    return;
  }
  if (job.kind == ActionKind::kUpload) {
    std::string path = JoinPath(src_.path, job.action.key);
    auto fd = std::make_shared<transfer::Fd>(open(path.c_str(), O_RDONLY | O_CLOEXEC | NoFollow()));
    if (fd->get() < 0 || fstat(fd->get(), &job.st) != 0) {
      job.status = transfer::ErrnoStatus("cannot read '" + path + "'", errno);
      return;
    }
    job.fd = fd;
    const uint64_t size = static_cast<uint64_t>(job.st.st_size);
    if (size <= kReadWhole && size < options_.transfer.multipart_threshold) {
      std::string body(size, '\0');
      ssize_t n = size ? pread(fd->get(), body.data(), size, 0) : 0;
      if (n != static_cast<ssize_t>(size)) {
        job.status = n < 0 ? transfer::ErrnoStatus("cannot read '" + path + "'", errno)
                           : DataLoss("'" + path + "' changed while it was read");
        return;
      }
      job.md5 = hash::Md5(body);
      job.small_body = std::move(body);
    } else if (size < options_.transfer.multipart_threshold) {
      auto md5 = transfer::Md5OfRange(fd->get(), 0, static_cast<uint64_t>(job.st.st_size));
      if (!md5.ok()) {
        job.status = md5.status();
        return;
      }
      job.md5 = *md5;
    }
  }
}

// Multipart progress of one object, kept in the index's uploads family.
std::shared_ptr<transfer::CheckpointStore> Runner::UploadCheckpoints(const std::string& key) {
  auto store = std::make_shared<transfer::CheckpointStore>();
  index::Index* idx = options_.index;
  const std::string id = dst_.remote_id, bucket = dst_.bucket;
  store->load = [=]() -> std::optional<transfer::UploadCheckpoint> {
    auto rec = idx->GetUpload(id, bucket, key);
    if (!rec.ok() || !rec->has_value()) return std::nullopt;
    const index::UploadRecord& r = **rec;
    return transfer::UploadCheckpoint{r.upload_id, r.part_size, r.file_size, r.file_mtime_ns,
                                      r.part_md5s};
  };
  store->save = [=](const transfer::UploadCheckpoint& c) {
    idx->PutUpload(
           id, bucket, key,
           index::UploadRecord{c.upload_id, c.part_size, c.file_size, c.file_mtime_ns, c.part_md5s})
        .IgnoreError();
  };
  store->clear = [=] { idx->DeleteUpload(id, bucket, key).IgnoreError(); };
  return store;
}

void Runner::StartUpload(const JobPtr& job, const std::function<void(JobPtr)>& done) {
  const std::string key = ObjectKey(dst_, job->action.key);
  transfer::TransferOptions t = transfer_;
  t.metadata = EncodeAttrs(MtimeNs(job->st), job->st.st_mode, job->st.st_uid, job->st.st_gid);
  auto finished = [job, done](StatusOr<transfer::UploadResult> r) {
    if (r.ok()) {
      job->etag = r->etag;
    } else {
      job->status = r.status();
    }
    done(job);
  };
  if (!job->fd) {  // a link's target, an empty folder's marker
    return transfer::StartPutBody(*dst_.client, job->inline_body, dst_.bucket, key, t, finished);
  }
  if (job->small_body) {  // read whole and hashed by prepare
    return transfer::StartPutBody(*dst_.client, std::move(*job->small_body), dst_.bucket, key, t,
                                  finished, job->md5);
  }
  uint64_t size = static_cast<uint64_t>(job->st.st_size);
  std::optional<hash::Md5Digest> md5;
  if (size < t.multipart_threshold) {
    md5 = job->md5;  // hashed by Prepare
  } else if (options_.index) {
    t.checkpoint = UploadCheckpoints(key);
  }
  transfer::StartUploadFile(
      *dst_.client,
      transfer::FileToUpload{JoinPath(src_.path, job->action.key), job->fd, md5, job->st},
      dst_.bucket, key, t, finished);
}

void Runner::StartDownload(const JobPtr& job, const std::function<void(JobPtr)>& done) {
  const plan::Entry& object = *job->action.src;
  // Never through a link inside the destination (transfer/dest_dir.h).
  auto temp = dest_folders_.CreateTemp(object.key);
  if (!temp.ok()) {
    job->status = temp.status();
    return done(job);
  }
  transfer::TransferOptions t = transfer_;
  // Resumable: what a killed run left of this version is not fetched again.
  t.expected_etag = object.etag;
  t.expected_size = object.size;
  transfer::StartDownload(*src_.client, src_.bucket, ObjectKey(src_, object.key),
                          std::shared_ptr<transfer::TempFile>(std::move(*temp)), t,
                          [job, done](StatusOr<transfer::DownloadResult> r) {
                            if (r.ok()) {
                              job->head = r->head;
                              job->temp = r->temp;
                              job->etag = r->etag;
                              job->verdict = r->verdict;
                              job->why = r->why;
                              job->layout = transfer::RecordedLayout(r->head);
                            } else {
                              job->status = r.status();
                            }
                            done(job);
                          });
}

void Runner::StartCopy(const JobPtr& job, const std::function<void(JobPtr)>& done) {
  transfer::TransferOptions t = transfer_;
  t.expected_etag = job->action.src->etag;
  t.expected_size = job->action.src->size;
  transfer::StartCopy(*src_.client, src_.bucket, ObjectKey(src_, job->action.key), *dst_.client,
                      dst_.bucket, ObjectKey(dst_, job->action.key), t,
                      [job, done](StatusOr<transfer::UploadResult> r) {
                        if (r.ok()) {
                          job->etag = r->etag;
                          job->verdict = r->verdict;
                          job->why = r->why;
                        } else {
                          job->status = r.status();
                        }
                        done(job);
                      });
}

void Runner::StartDelete(const JobPtr& job, const std::function<void(JobPtr)>& done) {
  if (dst_.kind == Location::Kind::kLocal) {
    job->status = transfer::RemoveDestFile(dst_.path, job->action.key);
    if (job->status.ok() && IsStoredLink(job->action.key)) {
      const std::string& key = job->action.key;
      job->status = transfer::RemoveDestLink(
          dst_.path, std::string_view(key).substr(0, key.size() - scan::kLinkSuffix.size()));
    }
    return done(job);
  }
  dst_.client->DeleteObject(dst_.bucket, ObjectKey(dst_, job->action.key), [job, done](Status s) {
    job->status = s;
    done(job);
  });
}

void Runner::StartTransfer(const JobPtr& job, const std::function<void(JobPtr)>& done) {
  if (!job->status.ok() || options_.dry_run) return done(job);
  switch (job->kind) {
    case ActionKind::kUpload:
      return StartUpload(job, done);
    case ActionKind::kDownload:
      return StartDownload(job, done);
    case ActionKind::kCopy:
      return StartCopy(job, done);
    case ActionKind::kDelete:
      return StartDelete(job, done);
    case ActionKind::kMkdir:
      job->status = transfer::MakeDestFolders(dst_.path, job->action.key);
      return done(job);
    default:
      return done(job);
  }
}
// On the serial commit stage: the only place, beside the planner's skips,
// that touches the report, and the only one that writes the index.
bool Runner::Commit(Job& job) {
  const plan::Action& a = job.action;
  const bool unverified = job.status.ok() && !options_.dry_run &&
                          (job.kind == ActionKind::kDownload || job.kind == ActionKind::kCopy) &&
                          job.verdict == transfer::Verdict::kUnverifiable;
  if (unverified && options_.require_verified) {
    // Not kept as if it were good (a download's temporary file goes).
    job.status = Status(StatusCode::kFailedPrecondition, job.why + " (--require-verified)");
  }
  if (job.status.ok() && !options_.dry_run && job.kind == ActionKind::kDownload) {
    // Length and content were checked by the transfer.
    if (IsStoredLink(a.key)) {
      job.status = CommitLink(job);
    } else {
      ApplyAttrs(job.temp->fd(), job.head, options_);
      job.status = job.temp->Commit();
    }
  }
  job.temp.reset();  // uncommitted: removed
  if (job.status.ok() && unverified) {
    std::lock_guard lock(report_mu_);
    report_.AddUnverified(a.key, job.why);
  }
  if (job.status.ok() && !options_.dry_run && job.kind == ActionKind::kUpload && job.fd) {
    // A file that changed while it was read goes round again, a few times.
    struct stat now {};
    std::string path = JoinPath(src_.path, a.key);
    if (stat(path.c_str(), &now) != 0 || !SameFile(now, job.st)) {
      job.status = DataLoss("'" + path + "' changed while it was read");
      if (++job.attempts < 3) return false;
    } else {
      job.st_current = true;
    }
  }
  job.fd.reset();
  bool changed = job.status.ok() && !options_.dry_run &&
                 (job.kind != ActionKind::kSkip || job.reason == SkipReason::kSameEtag);
  if (changed) Record(job);

  uint64_t bytes = a.src ? a.src->size : (a.dst ? a.dst->size : 0);
  std::lock_guard lock(report_mu_);
  if (!job.status.ok()) {
    report_.AddError(a.key, job.status.message());
    ++progress_.errors;
  } else if (job.kind == ActionKind::kSkip) {
    Count("skip: " + std::string(plan::SkipReasonName(job.reason)), bytes);
  } else {
    Count(std::string(plan::ActionName(job.kind)), job.kind == ActionKind::kDelete ? 0 : bytes);
    if (job.kind != ActionKind::kMkdir) {
      ++progress_.done_objects;
      progress_.done_bytes += job.kind == ActionKind::kDelete ? 0 : bytes;
    }
  }
  // A verify that found the content equal was planned as a transfer.
  if (job.action.kind == ActionKind::kVerify && job.kind == ActionKind::kSkip) {
    progress_.planned_objects -= std::min<uint64_t>(progress_.planned_objects, 1);
    progress_.planned_bytes -= std::min(progress_.planned_bytes, bytes);
  }
  Progress();
  return true;
}

// --links: the downloaded NAME.rclonelink becomes the link NAME (its
// temporary file is then removed unused).
Status Runner::CommitLink(Job& job) {
  const std::string& key = job.action.key;
  std::string target(job.head.size, '\0');
  if (target.size() > 4095 || target.empty() ||
      pread(job.temp->fd(), target.data(), target.size(), 0) !=
          static_cast<ssize_t>(target.size()) ||
      target.find('\0') != std::string::npos) {
    return InvalidArgument("not a link target (empty, too long or unreadable)");
  }
  return transfer::PlaceDestLink(
      dst_.path, std::string_view(key).substr(0, key.size() - scan::kLinkSuffix.size()), target);
}

// Remembers what is now in sync, so the next run need not read it again.
void Runner::Record(const Job& job) {
  index::Index* idx = options_.index;
  if (!idx) return;
  const plan::Action& a = job.action;
  if (job.kind == ActionKind::kDelete) {
    if (plan_options_.direction == plan::Direction::kCopy) {
      idx->DeleteRemote(dst_.remote_id, dst_.bucket, ObjectKey(dst_, a.key)).IgnoreError();
    } else {
      idx->DeleteLocal(LocalRoot(), a.key).IgnoreError();
    }
    return;
  }
  if (job.kind == ActionKind::kMkdir) return;
  if (plan_options_.direction == plan::Direction::kUpload && IsMarker(job)) return;
  if (plan_options_.direction == plan::Direction::kCopy) {
    index::RemoteRecord r;
    r.size = a.src->size;
    r.etag = job.etag.empty() ? a.src->etag : job.etag;
    r.source_etag = a.src->etag;
    r.unverified = job.verdict == transfer::Verdict::kUnverifiable;
    idx->PutRemote(dst_.remote_id, dst_.bucket, ObjectKey(dst_, a.key), r).IgnoreError();
    return;
  }
  std::string path = JoinPath(LocalRoot(), a.key);
  struct stat st = job.st;
  if (!job.st_current) {
    if (stat(path.c_str(), &st) != 0) return;
    if (job.kind == ActionKind::kUpload && !SameFile(st, job.st)) return;
  }
  index::LocalRecord r;
  r.size = static_cast<uint64_t>(st.st_size);
  r.mtime_ns = MtimeNs(st);
  r.inode = st.st_ino;
  r.mode = st.st_mode & 07777;
  r.etag = job.etag;
  if (job.kind == ActionKind::kUpload && transfer::EtagIsMd5(job.etag)) r.md5 = job.etag;
  r.unverified = job.verdict == transfer::Verdict::kUnverifiable;
  if (job.layout) {
    r.part_size = job.layout->size;
    r.part_doubling = static_cast<uint32_t>(job.layout->doubling);
  }
  idx->PutLocal(LocalRoot(), a.key, r).IgnoreError();
}

}  // namespace gwsync::sync::internal
