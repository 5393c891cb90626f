// A sync from a bucket to a folder (or a change feed's changes): each
// object fetched by transfer/download.cc into a temporary file, checked,
// given its attributes and what it keeps besides its bytes, renamed into
// place by the commit, and remembered in the index under the folder.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <mutex>
#include <string_view>

#include "fileio/dest_dir.h"
#include "scan/local_walker.h"
#include "sync/direction.h"
#include "transfer/etag.h"

namespace gwsync::sync::internal {
namespace {

Attempt::Download& Down(Job& job) { return std::get<Attempt::Download>(job.attempt.own); }

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

class Download final : public Direction {
 public:
  explicit Download(Context& ctx) : ctx_(ctx), dest_folders_(ctx.dst.path) {}

  bool TakesChanges() const override { return true; }
  StatusOr<std::unique_ptr<sides::EntryStream>> OpenSource() override {
    return ctx_.OpenBucket(ctx_.src, /*is_dst=*/false);
  }
  StatusOr<std::unique_ptr<sides::EntryStream>> OpenDestination() override {
    return ctx_.OpenFolder(ctx_.dst, /*is_dst=*/true);
  }
  Status Begin() override;

  std::optional<plan::Remembered> Recall(index::Index& idx, const plan::Entry& src,
                                         const plan::Entry& /*dst*/) override {
    return ctx_.RecallLocal(idx, ctx_.dst.path, src.key);
  }
  std::string LocalRel(const plan::Action& a) const override { return ctx_.LocalRel(a.key, a.dst); }
  std::string Where(const plan::Action& a) const override {
    return a.kind == ActionKind::kDelete ? ctx_.dst.Name(LocalRel(a)) : ctx_.src.Name(a.key);
  }
  uint64_t BytesToHash(const plan::Action& a) const override {
    return a.kind == ActionKind::kVerify ? a.dst->size : 0;
  }

  void Prepare(Job& job) override;
  void Start(const JobPtr& job, const Done& done) override;
  bool Commit(Job& job) override;
  void Record(const Job& job, index::Index& idx) override;

 private:
  // --links: the link a KEY.rclonelink object stands for, and its target.
  bool IsStoredLink(const std::string& key) const {
    return ctx_.options.store_links && key.ends_with(scan::kLinkSuffix) &&
           !plan::NeedsKeyStore(key, /*links=*/true);  // the store holds it as a file
  }
  void StartDownload(const JobPtr& job, const Done& done);
  void FetchTags(const JobPtr& job, const Done& done);
  void StartRemove(const JobPtr& job, const Done& done);
  void Place(Job& job);
  Status PlaceLink(Job& job);
  void ToKeyStore(Job& job);
  void NoteNotKept(const plan::Action& a, const Status& kept);
  // A key that is also a folder (`a` beside `a/b`): the file `a` on the way
  // of `rel` goes to the key store, so that the folder can be made.
  Status MoveFileOnTheWay(std::string_view rel);

  Context& ctx_;
  fileio::DestFolders dest_folders_;       // a download's folders, kept open between keys
  std::mutex clash_mu_;                    // one key store move at a time (MoveFileOnTheWay)
  bool headers_in_manifest_said_ = false;  // the commit thread's
};

Status Download::Begin() {
  if (!ctx_.options.dry_run) RETURN_IF_ERROR(MakeParents(JoinPath(ctx_.dst.path, "x")));
  // The folder exists now (not in a dry run, which needs no handle).
  auto root = FileSystem::OpenRoot(ctx_.dst.path, false);
  if (root.ok()) {
    ctx_.root = std::move(*root);
  } else if (!ctx_.options.dry_run) {
    return root.status();
  }
  return Status::Ok();
}

// On a TBB worker or the graph's thread: a verify's hashing, never network.
void Download::Prepare(Job& job) {
  Attempt& at = job.attempt;
  at.own.emplace<Attempt::Download>();
  at.local = LocalRel(job.action);
  if (ctx_.options.dry_run || at.kind != ActionKind::kVerify) return;
  if (ctx_.SameContent(job, *job.action.dst, *job.action.src, ctx_.dst.path)) return;
  at.kind = ActionKind::kDownload;
}

void Download::Start(const JobPtr& job, const Done& done) {
  switch (job->attempt.kind) {
    case ActionKind::kDownload:
      return StartDownload(job, done);
    case ActionKind::kDelete:
      return StartRemove(job, done);
    default:
      return done(job);
  }
}

void Download::StartDownload(const JobPtr& job, const Done& done) {
  const plan::Entry& object = *job->action.src;
  const std::string& local = job->attempt.local;
  // Never through a link inside the destination (fileio/dest_dir.h).
  auto temp = dest_folders_.CreateTemp(local);
  if (!temp.ok() && temp.status().code() == StatusCode::kFailedPrecondition &&
      MoveFileOnTheWay(local).ok()) {
    temp = dest_folders_.CreateTemp(local);  // `a` of `a/b` was a file
  }
  if (!temp.ok()) {
    job->attempt.status = temp.status();
    return done(job);
  }
  transfer::TransferOptions t = ctx_.transfer;
  // Resumable: what a killed run left of this version is not fetched again.
  t.expected_etag = object.etag;
  t.expected_size = object.size;
  transfer::StartDownload(*ctx_.src.client, ctx_.src.bucket, ctx_.ObjectKey(ctx_.src, object.key),
                          std::shared_ptr<fileio::TempFile>(std::move(*temp)), t,
                          [this, job, done](StatusOr<transfer::DownloadResult> r) {
                            if (!r.ok()) {
                              job->attempt.status = r.status();
                              return done(job);
                            }
                            Attempt::Download& down = Down(*job);
                            down.head = r->head;
                            down.temp = r->temp;
                            job->attempt.etag = r->etag;
                            job->attempt.verdict = r->verdict;
                            job->attempt.why = r->why;
                            job->attempt.xxh3 = r->xxh3;
                            down.layout = transfer::RecordedLayout(r->head);
                            if (r->head.tag_count == 0) return done(job);
                            FetchTags(job, done);
                          });
}

// The tags of a downloaded object, kept with its file (a HEAD or GET says
// only how many there are).
void Download::FetchTags(const JobPtr& job, const Done& done) {
  ctx_.src.client->GetObjectTagging(
      ctx_.src.bucket, ctx_.ObjectKey(ctx_.src, job->action.src->key),
      [job, done](StatusOr<std::vector<std::pair<std::string, std::string>>> tags) {
        if (tags.ok()) {
          Down(*job).tags = std::move(*tags);
        } else {
          job->attempt.status = tags.status().Annotate("reading its tags");
        }
        done(job);
      });
}

void Download::StartRemove(const JobPtr& job, const Done& done) {
  job->attempt.status = ctx_.fs.Remove(ctx_.dst.path, job->attempt.local);
  if (job->attempt.status.ok() && IsStoredLink(job->action.key)) {
    job->attempt.status = fileio::RemoveDestLink(ctx_.dst.path, LinkName(job->action.key));
  }
  done(job);
}

bool Download::Commit(Job& job) {
  Attempt& at = job.attempt;
  if (job.token && at.kind == ActionKind::kDownload && at.status.code() == StatusCode::kNotFound) {
    // A change whose object was removed since: its removal is the feed's next word.
    at.status = Status::Ok();
    at.kind = ActionKind::kSkip;
    at.reason = SkipReason::kGone;
    Down(job).temp.reset();
  }
  if (at.status.ok() && !ctx_.options.dry_run && at.kind == ActionKind::kDownload) Place(job);
  Down(job).temp.reset();  // uncommitted: removed
  return true;
}

// The checked download in place, with its attributes and what the object
// keeps besides its bytes. Length and content were checked by the transfer.
void Download::Place(Job& job) {
  const plan::Action& a = job.action;
  Attempt& at = job.attempt;
  Attempt::Download& down = Down(job);
  if (IsStoredLink(a.key)) {
    at.status = PlaceLink(job);
    return;
  }
  Status attrs = ApplyAttrs(ctx_.fs, *down.temp, down.head, ctx_.options);
  const KeptHeaders kept_headers = KeepFrom(down.head, std::move(down.tags));
  down.kept_encoded = EncodeKept(kept_headers);
  // The ETag only of content proven to be the object's.
  const bool proven = at.verdict != transfer::Verdict::kUnverifiable;
  Status kept =
      KeepHeaders(*down.temp, kept_headers, proven ? a.src->etag : "", proven ? at.xxh3 : "");
  at.status = ctx_.fs.Commit(*down.temp);
  if (!at.status.ok()) ToKeyStore(job);
  if (at.status.ok() && a.key.ends_with('/') && plan::IsSafeRelativeKey(a.key)) {
    // A marker is kept whole in the key store; its folder is made too.
    fileio::MakeDestFolders(ctx_.dst.path, a.key).IgnoreError();
  }
  if (at.status.ok() && !kept.ok()) NoteNotKept(a, kept);
  if (at.status.ok() && !attrs.ok()) {
    down.settled = false;
    ctx_.Notice(Where(a), attrs.message() +
                              " (its content is in place; not in sync: the next run "
                              "fetches it again)");
  }
}

// A folder of the key's name (`a` of `a/b`, made meanwhile: the rename,
// not a look before it, tells): the file goes to the key store instead.
void Download::ToKeyStore(Job& job) {
  Attempt& at = job.attempt;
  const fileio::TempFile& temp = *Down(job).temp;
  struct stat there {};
  if (at.local.starts_with(plan::kKeyStoreDir) ||
      fstatat(temp.dir()->get(), temp.name().c_str(), &there, AT_SYMLINK_NOFOLLOW) != 0 ||
      !S_ISDIR(there.st_mode)) {
    return;
  }
  at.local = plan::KeyStorePath(job.action.key);
  auto place = fileio::OpenDestParent(ctx_.dst.path, at.local, /*create=*/true);
  at.status =
      place.ok() ? Down(job).temp->CommitTo(place->dir, place->name, place->path) : place.status();
  if (at.status.ok()) ctx_.CountKeyStore();
}

// What the object keeps besides its bytes could not be kept with the file.
void Download::NoteNotKept(const plan::Action& a, const Status& kept) {
  if (ctx_.options.index && kept.code() == StatusCode::kUnimplemented) {
    // No user attributes on this file system: the index keeps them for the
    // run manifest, which a restore reads. Said once.
    if (!headers_in_manifest_said_) {
      headers_in_manifest_said_ = true;
      ctx_.Notice(ctx_.dst.path,
                  "this file system keeps no user attributes: the objects' headers, "
                  "metadata and tags are kept in the run manifest only");
    }
  } else {
    ctx_.Notice(Where(a), kept.message() + " (a restore of this file goes without them)");
  }
}

// --links: the downloaded NAME.rclonelink becomes the link NAME (its
// temporary file is then removed unused).
Status Download::PlaceLink(Job& job) {
  const Attempt::Download& down = Down(job);
  std::string target(down.head.size, '\0');
  if (target.size() > 4095 || target.empty() ||
      pread(down.temp->fd(), target.data(), target.size(), 0) !=
          static_cast<ssize_t>(target.size()) ||
      target.find('\0') != std::string::npos) {
    return InvalidArgument("not a link target (empty, too long or unreadable)");
  }
  return fileio::PlaceDestLink(ctx_.dst.path, LinkName(job.action.key), target);
}

// Remembers the file now in sync, so the next run need not read it again;
// one that is not (an attribute could not be set) is recorded as such.
void Download::Record(const Job& job, index::Index& idx) {
  const plan::Action& a = job.action;
  const Attempt& at = job.attempt;
  if (at.kind == ActionKind::kDelete) {
    idx.DeleteLocal(ctx_.dst.path, a.key).IgnoreError();
    return;
  }
  const Attempt::Download& down = std::get<Attempt::Download>(at.own);
  struct stat st {};
  if (!ctx_.root.fd || !ctx_.fs.Stat(ctx_.root, at.local, &st).ok()) return;
  index::LocalRecord r = Context::LocalRecordOf(st, at);
  r.attrs_pending = !down.settled;
  if (down.layout) {
    r.part_size = down.layout->size;
    r.part_doubling = static_cast<uint32_t>(down.layout->doubling);
  }
  if (at.kind == ActionKind::kDownload) r.headers = down.kept_encoded;
  idx.PutLocal(ctx_.dst.path, a.key, r).IgnoreError();
}

// The file `a` on the way of `rel` (`a/b`), a key of its own, moves to the
// key store so that the folder `a` can be made: the later key keeps its
// place in the tree, as s3cmd would lay it out. One clash at a time.
Status Download::MoveFileOnTheWay(std::string_view rel) {
  std::lock_guard lock(clash_mu_);
  for (size_t slash = rel.find('/'); slash != std::string_view::npos;
       slash = rel.find('/', slash + 1)) {
    std::string_view prefix = rel.substr(0, slash);
    auto from = fileio::OpenDestParent(ctx_.dst.path, prefix, /*create=*/false);
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
                     fileio::OpenDestParent(ctx_.dst.path, store, /*create=*/true));
    if (renameat(from->dir->get(), from->name.c_str(), to.dir->get(), to.name.c_str()) != 0) {
      return fileio::ErrnoStatus("cannot move '" + from->path + "' to '" + to.path + "'", errno);
    }
    ctx_.CountKeyStore();
    return Status::Ok();
  }
  return NotFound("no file on the way of '" + std::string(rel) + "'");
}

}  // namespace

std::unique_ptr<Direction> MakeDownload(Context& ctx) { return std::make_unique<Download>(ctx); }

}  // namespace gwsync::sync::internal
