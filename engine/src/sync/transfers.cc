// size: prepare, start and commit for every kind of action; it shrinks when
// upload, download and copy each own their steps.
// Each object's transfer in a sync: prepared (opened, hashed) before it
// starts, started on the machines of transfer/, and committed (attributes,
// rename, index, report) once they are done.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>

#include "fileio/dest_dir.h"
#include "http/bodies.h"
#include "sync/metadata.h"
#include "sync/runner.h"
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
    return fileio::ErrnoStatus("cannot create folder '" + dir + "'", errno);
  }
  return Status::Ok();
}

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
         a.st_mtim.tv_nsec == b.st_mtim.tv_nsec && a.st_ino == b.st_ino;
}

namespace {

// Whether the file holds the object's bytes (transfer/etag.h), by the
// xxh3 recorded of its bytes when they were last the object's, if there is
// one; an ETag of no known form cannot say so, and costs a transfer.
// `xxh3`: the file's, as read.
StatusOr<bool> ContentMatchesEtag(int fd, uint64_t size, const std::string& etag,
                                  uint64_t our_part_size, const std::string& known_xxh3,
                                  std::string* xxh3) {
  ASSIGN_OR_RETURN(transfer::CheckResult check,
                   transfer::CheckFd(fd, size, etag, std::nullopt, our_part_size, known_xxh3));
  *xxh3 = check.xxh3;
  return check.verdict == transfer::Verdict::kVerified;
}

// Restores the attributes an object carries onto a downloaded file, still
// under its temporary name (created 0600), so the real name never shows
// other attributes. A bucket is not trusted with more than the permission
// bits, masked by the umask as a new file's are (a recorded 0777 is 0755
// under umask 022): exactly as recorded with --preserve-modes; setuid,
// setgid and sticky only with --preserve-special-bits (exact modes too); the
// owner only with --preserve-owner. Each is tried; the first failure is
// returned, so that the file is not recorded as in sync.
Status ApplyAttrs(FileSystem& fs, const fileio::TempFile& temp, const s3::ObjectHead& head,
                  const SyncOptions& options) {
  const int fd = temp.fd();
  const std::string& path = temp.path();
  Status first;
  auto keep = [&first](Status s) {
    if (first.ok()) first = std::move(s);
  };
  FileAttrs attrs = DecodeAttrs(head.metadata);
  if (!attrs.mtime_ns) attrs.mtime_ns = ParseHttpDate(head.last_modified);
  mode_t mode = attrs.mode ? *attrs.mode : fileio::DefaultFileMode();
  mode &= options.preserve_special_bits ? 07777 : 0777;
  if (!options.preserve_modes && !options.preserve_special_bits) mode &= ~fileio::Umask();
  if (options.restore_owner && attrs.uid && attrs.gid &&
      (*attrs.uid != geteuid() || *attrs.gid != getegid())) {
    keep(fs.Fchown(fd, path, *attrs.uid, *attrs.gid));
  }
  // After fchown, which clears setuid and setgid.
  keep(fs.Fchmod(fd, path, mode));
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
    keep(fs.Futimens(fd, path, times));
  }
  return first;
}

// Keeps what the object has besides its bytes with the file (also that it
// has nothing: a restore then adds no metadata of its own), for a restore
// to send again. A failure is said, and the
// file stays in sync: fetching it again would not help.
Status KeepHeaders(const fileio::TempFile& temp, const KeptHeaders& kept, const std::string& etag,
                   const std::string& xxh3) {
  const int fd = temp.fd();
  struct stat st {};
  if (fstat(fd, &st) != 0) return fileio::ErrnoStatus("cannot stat '" + temp.path() + "'", errno);
  std::string value =
      EncodeKeptAttr(kept, static_cast<uint64_t>(st.st_size), MtimeNs(st), etag, xxh3);
  if (fsetxattr(fd, kHeadersXattr, value.data(), value.size(), 0) != 0) {
    return fileio::ErrnoStatus(
        "cannot keep the object's headers, metadata and tags with '" + temp.path() + "'", errno);
  }
  return Status::Ok();
}

const char* TypeName(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// A file that is no longer the one listed is skipped with a notice: the
// listing did not see it, so the next run decides afresh.
void SkipReplaced(Attempt& at, std::string why) {
  at.kind = ActionKind::kSkip;
  at.reason = SkipReason::kReplaced;
  at.notice = std::move(why);
}

}  // namespace

// Opens the file the walk listed, beneath the root, if it is still that
// regular file: not a link on the way, not a FIFO or a device put in its
// place (opened without blocking, refused by its type before any read), not
// another file. Null otherwise, with a skip and its notice in `at`, or the
// error that kept it from being read.
std::shared_ptr<fileio::Fd> Runner::OpenListed(const plan::Entry& listed, const std::string& rel,
                                               struct stat* st, Attempt& at) {
  const std::string path = root_.PathOf(rel);
  auto fd = fs_.Open(root_, rel);
  if (!fd.ok()) {
    if (fd.status().code() == StatusCode::kFailedPrecondition) {
      SkipReplaced(at, fd.status().message() + " (changed since it was listed)");
    } else if (fd.status().code() == StatusCode::kNotFound) {
      // Gone (or a folder on its way moved) since the walk: as good as
      // replaced; the next run decides afresh.
      SkipReplaced(at, fd.status().message() + " (gone since it was listed)");
    } else {
      at.status = fd.status();
    }
    return nullptr;
  }
  if (Status s = fs_.Fstat((*fd)->get(), path, st); !s.ok()) {
    at.status = s;
    return nullptr;
  }
  if (!S_ISREG(st->st_mode)) {
    SkipReplaced(at, "'" + path + "': now " + TypeName(st->st_mode) +
                         " (changed since it was listed), not read");
    return nullptr;
  }
  if (listed.inode != 0 && st->st_ino != listed.inode) {
    SkipReplaced(at, "'" + path +
                         "': replaced by another file since it was listed, not read (the next "
                         "run reads it)");
    return nullptr;
  }
  return *fd;
}

// On a TBB worker: hashing and opening, never network. Each round starts
// from a fresh Attempt.
// NOLINTNEXTLINE(readability-function-size): every action kind until directions own theirs
void Runner::Prepare(Job& job) {
  job.attempt = Attempt();
  Attempt& at = job.attempt;
  // A later round is a file that changed while it was sent: sent again.
  at.kind = job.rounds > 0 ? ActionKind::kUpload : job.action.kind;
  at.reason = job.action.reason;
  at.local = LocalRel(job.action);
  if (options_.dry_run) return;
  if (at.kind == ActionKind::kVerify) {
    const plan::Entry& file = FileSide(job);
    const plan::Entry& object =
        plan_options_.direction == plan::Direction::kUpload ? *job.action.dst : *job.action.src;
    StatusOr<bool> same = false;
    if (file.link) {
      same = LinkMatchesEtag(file.key, object.etag);
    } else {
      struct stat st {};
      auto fd = OpenListed(file, at.local, &st, at);
      if (!fd) return;    // a skip, or at.status
      std::string known;  // the index's xxh3 of the file when it held this very object
      if (auto r = Recall(&*job.action.src, &*job.action.dst); r && r->etag == object.etag) {
        known = r->xxh3;
      }
      same = ContentMatchesEtag(fd->get(), file.size, object.etag, options_.transfer.part_size,
                                known, &at.xxh3);
    }
    if (!same.ok()) {
      at.status = same.status();
      return;
    }
    if (*same) {
      at.kind = ActionKind::kSkip;
      at.reason = SkipReason::kSameEtag;
      at.etag = object.etag;
      return;
    }
    at.kind = plan_options_.direction == plan::Direction::kUpload ? ActionKind::kUpload
                                                                  : ActionKind::kDownload;
  }
  if (at.kind == ActionKind::kUpload && job.action.src->link) {
    auto target = fs_.ReadLink(root_, LinkName(job.action.key), &at.st);
    if (!target.ok()) {
      if (target.status().code() == StatusCode::kFailedPrecondition) {
        SkipReplaced(at, target.status().message() + " (changed since it was listed)");
      } else {
        at.status = target.status();
      }
      return;
    }
    at.st.st_size = static_cast<off_t>(target->size());
    at.inline_body = *target;
    at.md5 = hash::Md5(*target);
    return;
  }
  if (at.kind == ActionKind::kUpload && IsMarker(job)) {
    at.st = {};  // an empty object; the folder's time and mode as metadata
    at.st.st_mtim.tv_sec = job.action.src->mtime_ns / 1000000000;
    at.st.st_mtim.tv_nsec = job.action.src->mtime_ns % 1000000000;
    at.st.st_mode = job.action.src->mode;
    at.md5 = hash::Md5("");
    return;
  }
  if (at.kind == ActionKind::kUpload) {
    const std::string path = root_.PathOf(at.local);
    auto fd = OpenListed(*job.action.src, at.local, &at.st, at);
    if (!fd) return;
    // From here on the commit compares the file with `st`: a change, even
    // one that made a read fail, sends it again.
    at.fd = std::move(fd);
    // What the object kept, when gwsync downloaded this very file.
    char attr[65536];
    ssize_t n = fgetxattr(at.fd->get(), kHeadersXattr, attr, sizeof attr);
    if (n > 0) {
      at.kept = DecodeKeptAttr(std::string_view(attr, static_cast<size_t>(n)),
                               static_cast<uint64_t>(at.st.st_size), MtimeNs(at.st));
    } else if (job.manifest_kept && static_cast<uint64_t>(at.st.st_size) == job.action.src->size &&
               MtimeNs(at.st) == job.action.src->mtime_ns) {
      at.kept = job.manifest_kept;  // the run manifest's, for the file as listed
    }
    const uint64_t size = static_cast<uint64_t>(at.st.st_size);
    if (size <= kReadWhole && size < options_.transfer.multipart_threshold) {
      std::string body(size, '\0');
      auto n = fs_.Pread(at.fd->get(), path, body, 0);
      if (!n.ok() || *n != size) {
        at.status = n.ok() ? DataLoss("'" + path + "' changed while it was read") : n.status();
        return;
      }
      at.md5 = hash::Md5(body);
      at.xxh3 = hash::Xxh3Hex(body);
      at.small_body = std::move(body);
    } else if (size < options_.transfer.multipart_threshold) {
      auto digests = transfer::DigestsOfRange(at.fd->get(), 0, size);
      if (!digests.ok()) {
        at.status = digests.status();
        return;
      }
      at.md5 = digests->md5;
      at.xxh3 = std::move(digests->xxh3);
    }
  }
}

// Multipart progress of one object, kept in the index's uploads family.
void Runner::StartUpload(const JobPtr& job, const std::function<void(JobPtr)>& done) {
  const std::string key = ObjectKey(dst_, job->action.key);
  transfer::TransferOptions t = transfer_;
  t.metadata = EncodeAttrs(MtimeNs(job->attempt.st), job->attempt.st.st_mode,
                           job->attempt.st.st_uid, job->attempt.st.st_gid);
  if (job->attempt.kept) {
    ApplyKept(*job->attempt.kept, &t.content_type, &t.content, &t.metadata, &t.tagging);
  }
  auto finished = [job, done](StatusOr<transfer::UploadResult> r) {
    if (r.ok()) {
      job->attempt.etag = r->etag;
    } else {
      job->attempt.status = r.status();
    }
    done(job);
  };
  if (!job->attempt.fd) {  // a link's target, an empty folder's marker
    return transfer::StartPutBody(*dst_.client, job->attempt.inline_body, dst_.bucket, key, t,
                                  finished);
  }
  if (job->attempt.small_body) {  // read whole and hashed by prepare
    std::string body = std::move(*job->attempt.small_body);
    job->attempt.small_body.reset();
    return transfer::StartPutBody(*dst_.client, std::move(body), dst_.bucket, key, t, finished,
                                  job->attempt.md5);
  }
  uint64_t size = static_cast<uint64_t>(job->attempt.st.st_size);
  std::optional<hash::Md5Digest> md5;
  if (size < t.multipart_threshold) {
    md5 = job->attempt.md5;  // hashed by Prepare
  } else if (options_.index) {
    t.checkpoint = UploadCheckpoints(key);
  }
  // A multipart upload takes the file's xxh3 (for its records) as it reads
  // the parts; when it resumed parts an earlier run sent, it is one more
  // read, from the page cache.
  auto sent = [this, job, finished, size](StatusOr<transfer::UploadResult> r) {
    if (r.ok() && job->attempt.xxh3.empty()) job->attempt.xxh3 = r->xxh3;
    if (!r.ok() || !job->attempt.xxh3.empty()) return finished(std::move(r));
    workers_.Run([job, finished, size, r = std::move(r)]() mutable {
      auto xxh3 = transfer::Xxh3OfRange(job->attempt.fd->get(), 0, size);
      if (xxh3.ok()) job->attempt.xxh3 = std::move(*xxh3);  // else none is recorded
      finished(std::move(r));
    });
  };
  transfer::StartUploadFile(*dst_.client,
                            transfer::FileToUpload{JoinPath(src_.path, job->attempt.local),
                                                   job->attempt.fd, md5, job->attempt.st},
                            dst_.bucket, key, t, sent);
}

void Runner::StartDownload(const JobPtr& job, const std::function<void(JobPtr)>& done) {
  const plan::Entry& object = *job->action.src;
  // Never through a link inside the destination (fileio/dest_dir.h).
  auto temp = dest_folders_.CreateTemp(job->attempt.local);
  if (!temp.ok() && temp.status().code() == StatusCode::kFailedPrecondition &&
      MoveFileOnTheWay(job->attempt.local).ok()) {
    temp = dest_folders_.CreateTemp(job->attempt.local);  // `a` of `a/b` was a file
  }
  if (!temp.ok()) {
    job->attempt.status = temp.status();
    return done(job);
  }
  transfer::TransferOptions t = transfer_;
  // Resumable: what a killed run left of this version is not fetched again.
  t.expected_etag = object.etag;
  t.expected_size = object.size;
  transfer::StartDownload(*src_.client, src_.bucket, ObjectKey(src_, object.key),
                          std::shared_ptr<fileio::TempFile>(std::move(*temp)), t,
                          [this, job, done](StatusOr<transfer::DownloadResult> r) {
                            if (!r.ok()) {
                              job->attempt.status = r.status();
                              return done(job);
                            }
                            job->attempt.head = r->head;
                            job->attempt.temp = r->temp;
                            job->attempt.etag = r->etag;
                            job->attempt.verdict = r->verdict;
                            job->attempt.why = r->why;
                            job->attempt.xxh3 = r->xxh3;
                            job->attempt.layout = transfer::RecordedLayout(r->head);
                            if (r->head.tag_count == 0) return done(job);
                            FetchTags(job, done);
                          });
}

// The tags of a downloaded object, kept with its file (a HEAD or GET says
// only how many there are).
void Runner::FetchTags(const JobPtr& job, const std::function<void(JobPtr)>& done) {
  src_.client->GetObjectTagging(
      src_.bucket, ObjectKey(src_, job->action.src->key),
      [job, done](StatusOr<std::vector<std::pair<std::string, std::string>>> tags) {
        if (tags.ok()) {
          job->attempt.tags = std::move(*tags);
        } else {
          job->attempt.status = tags.status().Annotate("reading its tags");
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
                          job->attempt.etag = r->etag;
                          job->attempt.verdict = r->verdict;
                          job->attempt.why = r->why;
                        } else {
                          job->attempt.status = r.status();
                        }
                        done(job);
                      });
}

void Runner::StartDelete(const JobPtr& job, const std::function<void(JobPtr)>& done) {
  if (dst_.kind == Location::Kind::kLocal) {
    job->attempt.status = fs_.Remove(dst_.path, job->attempt.local);
    if (job->attempt.status.ok() && IsStoredLink(job->action.key)) {
      const std::string& key = job->action.key;
      job->attempt.status = fileio::RemoveDestLink(
          dst_.path, std::string_view(key).substr(0, key.size() - scan::kLinkSuffix.size()));
    }
    return done(job);
  }
  dst_.client->DeleteObject(dst_.bucket, ObjectKey(dst_, job->action.key), [job, done](Status s) {
    job->attempt.status = s;
    done(job);
  });
}

void Runner::StartTransfer(const JobPtr& job, const std::function<void(JobPtr)>& done) {
  if (!job->attempt.status.ok() || options_.dry_run) return done(job);
  switch (job->attempt.kind) {
    case ActionKind::kUpload:
      return StartUpload(job, done);
    case ActionKind::kDownload:
      return StartDownload(job, done);
    case ActionKind::kCopy:
      return StartCopy(job, done);
    case ActionKind::kDelete:
      return StartDelete(job, done);
    default:
      return done(job);
  }
}
// On the serial commit stage: the only place, beside the planner's skips,
// that touches the report, and the only one that writes the index.
// NOLINTNEXTLINE(readability-function-size): every action kind until directions own theirs
bool Runner::Commit(Job& job) {
  const plan::Action& a = job.action;
  Attempt& at = job.attempt;
  if (job.token && at.kind == ActionKind::kDownload && at.status.code() == StatusCode::kNotFound) {
    // A change whose object was removed since: its removal is the feed's next word.
    at.status = Status::Ok();
    at.kind = ActionKind::kSkip;
    at.reason = SkipReason::kGone;
    at.temp.reset();
  }
  const bool unverified = at.status.ok() && !options_.dry_run &&
                          (at.kind == ActionKind::kDownload || at.kind == ActionKind::kCopy) &&
                          at.verdict == transfer::Verdict::kUnverifiable;
  if (unverified && options_.require_verified) {
    // Not kept as if it were good (a download's temporary file goes).
    at.status = Status(StatusCode::kFailedPrecondition, at.why + " (--require-verified)");
  }
  if (at.status.ok() && !options_.dry_run && at.kind == ActionKind::kDownload) {
    // Length and content were checked by the transfer.
    if (IsStoredLink(a.key)) {
      at.status = CommitLink(job);
    } else {
      Status attrs = ApplyAttrs(fs_, *at.temp, at.head, options_);
      const KeptHeaders kept_headers = KeepFrom(at.head, std::move(at.tags));
      at.kept_encoded = EncodeKept(kept_headers);
      // The ETag only of content proven to be the object's.
      const bool proven = at.verdict != transfer::Verdict::kUnverifiable;
      Status kept =
          KeepHeaders(*at.temp, kept_headers, proven ? a.src->etag : "", proven ? at.xxh3 : "");
      at.status = fs_.Commit(*at.temp);
      // A folder of the key's name (`a` of `a/b`, made meanwhile: the
      // rename, not a look before it, tells): the file goes to the key
      // store instead.
      struct stat there {};
      if (!at.status.ok() && !at.local.starts_with(plan::kKeyStoreDir) &&
          fstatat(at.temp->dir()->get(), at.temp->name().c_str(), &there, AT_SYMLINK_NOFOLLOW) ==
              0 &&
          S_ISDIR(there.st_mode)) {
        at.local = plan::KeyStorePath(a.key);
        auto place = fileio::OpenDestParent(dst_.path, at.local, /*create=*/true);
        at.status =
            place.ok() ? at.temp->CommitTo(place->dir, place->name, place->path) : place.status();
        if (at.status.ok()) {
          std::lock_guard lock(report_mu_);
          ++report_.key_store_count;
        }
      }
      if (at.status.ok() && a.key.ends_with('/') && plan::IsSafeRelativeKey(a.key)) {
        // A marker is kept whole in the key store; its folder is made too.
        fileio::MakeDestFolders(dst_.path, a.key).IgnoreError();
      }
      if (at.status.ok() && !kept.ok()) {
        std::lock_guard lock(report_mu_);
        if (options_.index && kept.code() == StatusCode::kUnimplemented) {
          // No user attributes on this file system: the index keeps them
          // for the run manifest, which a restore reads. Said once.
          if (!headers_in_manifest_said_) {
            headers_in_manifest_said_ = true;
            report_.AddNotice(dst_.path,
                              "this file system keeps no user attributes: the objects' headers, "
                              "metadata and tags are kept in the run manifest only");
          }
        } else {
          report_.AddNotice(Where(a),
                            kept.message() + " (a restore of this file goes without them)");
        }
      }
      if (at.status.ok() && !attrs.ok()) {
        at.settled = false;
        std::lock_guard lock(report_mu_);
        report_.AddNotice(Where(a), attrs.message() +
                                        " (its content is in place; not in sync: the next run "
                                        "fetches it again)");
      }
    }
  }
  at.temp.reset();  // uncommitted: removed
  if (at.status.ok() && unverified) {
    std::lock_guard lock(report_mu_);
    report_.AddUnverified(Where(a), at.why);
  }
  if (!at.notice.empty()) {
    std::lock_guard lock(report_mu_);
    report_.AddNotice(Where(a), at.notice);
  }
  if (!options_.dry_run && at.kind == ActionKind::kUpload && at.fd) {
    // A file that changed while it was read goes round again, a few times,
    // whatever the round's outcome: a failed read may be the change's doing
    // (a file that shrank).
    struct stat now {};
    if (!fs_.Stat(root_, at.local, &now).ok() || !SameFile(now, at.st)) {
      std::string why = "'" + root_.PathOf(at.local) + "' changed while it was read";
      at.status = DataLoss(at.status.ok() ? why : why + " (" + at.status.message() + ")");
      if (++job.rounds < Job::kMaxRounds) return false;
    } else {
      at.st_current = true;
    }
  }
  at.fd.reset();
  bool changed = at.status.ok() && !options_.dry_run &&
                 (at.kind != ActionKind::kSkip || at.reason == SkipReason::kSameEtag);
  if (changed) Record(job);

  uint64_t bytes = a.src ? a.src->size : (a.dst ? a.dst->size : 0);
  std::lock_guard lock(report_mu_);
  if (!at.status.ok()) {
    report_.AddError(Where(a), at.status.message());
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

// --links: the downloaded NAME.rclonelink becomes the link NAME (its
// temporary file is then removed unused).
Status Runner::CommitLink(Job& job) {
  const std::string& key = job.action.key;
  std::string target(job.attempt.head.size, '\0');
  if (target.size() > 4095 || target.empty() ||
      pread(job.attempt.temp->fd(), target.data(), target.size(), 0) !=
          static_cast<ssize_t>(target.size()) ||
      target.find('\0') != std::string::npos) {
    return InvalidArgument("not a link target (empty, too long or unreadable)");
  }
  return fileio::PlaceDestLink(
      dst_.path, std::string_view(key).substr(0, key.size() - scan::kLinkSuffix.size()), target);
}

// Remembers what is now in sync, so the next run need not read it again;
// forgets a file that is not (an attribute could not be set).
void Runner::Record(const Job& job) {
  index::Index* idx = options_.index;
  if (!idx) return;
  const plan::Action& a = job.action;
  const Attempt& at = job.attempt;
  if (at.kind == ActionKind::kDelete) {
    if (plan_options_.direction == plan::Direction::kCopy) {
      idx->DeleteRemote(dst_.remote_id, dst_.bucket, ObjectKey(dst_, a.key)).IgnoreError();
    } else {
      idx->DeleteLocal(LocalPath(), a.key).IgnoreError();
    }
    return;
  }
  if (plan_options_.direction == plan::Direction::kUpload && IsMarker(job)) return;
  if (plan_options_.direction == plan::Direction::kCopy) {
    index::RemoteRecord r;
    r.size = a.src->size;
    r.etag = at.etag.empty() ? a.src->etag : at.etag;
    r.source_etag = a.src->etag;
    r.unverified = at.verdict == transfer::Verdict::kUnverifiable;
    idx->PutRemote(dst_.remote_id, dst_.bucket, ObjectKey(dst_, a.key), r).IgnoreError();
    return;
  }
  struct stat st = at.st;
  if (!at.st_current) {
    if (!root_.fd || !fs_.Stat(root_, at.local, &st).ok()) return;
    if (at.kind == ActionKind::kUpload && !SameFile(st, at.st)) return;
  }
  index::LocalRecord r;
  r.size = static_cast<uint64_t>(st.st_size);
  r.mtime_ns = MtimeNs(st);
  r.inode = st.st_ino;
  r.mode = st.st_mode & 07777;
  r.etag = at.etag;
  if (at.kind == ActionKind::kUpload && transfer::EtagIsMd5(at.etag)) r.md5 = at.etag;
  r.xxh3 = at.xxh3;
  r.unverified = at.verdict == transfer::Verdict::kUnverifiable;
  r.attrs_pending = !at.settled;
  if (at.layout) {
    r.part_size = at.layout->size;
    r.part_doubling = static_cast<uint32_t>(at.layout->doubling);
  }
  if (at.kind == ActionKind::kDownload) r.headers = at.kept_encoded;
  idx->PutLocal(LocalPath(), a.key, r).IgnoreError();
}

// The file `a` on the way of `rel` (`a/b`), a key of its own, moves to the
// key store so that the folder `a` can be made: the later key keeps its
// place in the tree, as s3cmd would lay it out. One clash at a time.
Status Runner::MoveFileOnTheWay(std::string_view rel) {
  std::lock_guard lock(clash_mu_);
  for (size_t slash = rel.find('/'); slash != std::string_view::npos;
       slash = rel.find('/', slash + 1)) {
    std::string_view prefix = rel.substr(0, slash);
    auto from = fileio::OpenDestParent(dst_.path, prefix, /*create=*/false);
    if (!from.ok()) return from.status();  // a link, or nothing: not this
    struct stat st {};
    if (fstatat(from->dir->get(), from->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return fileio::ErrnoStatus("cannot stat '" + from->path + "'", errno);
    }
    if (S_ISDIR(st.st_mode)) continue;
    if (!S_ISREG(st.st_mode)) {
      return Status(StatusCode::kFailedPrecondition, "'" + from->path + "' is in the way");
    }
    const std::string store = plan::KeyStorePath(prefix);
    ASSIGN_OR_RETURN(fileio::DestEntry to,
                     fileio::OpenDestParent(dst_.path, store, /*create=*/true));
    if (renameat(from->dir->get(), from->name.c_str(), to.dir->get(), to.name.c_str()) != 0) {
      return fileio::ErrnoStatus("cannot move '" + from->path + "' to '" + to.path + "'", errno);
    }
    std::lock_guard report_lock(report_mu_);
    ++report_.key_store_count;
    return Status::Ok();
  }
  return NotFound("no file on the way of '" + std::string(rel) + "'");
}

}  // namespace gwsync::sync::internal
