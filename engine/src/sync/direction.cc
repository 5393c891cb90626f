// What more than one direction of a sync does (direction.h's Context):
// opening the ends, reading the local file the walk listed, comparing it
// with an object, the index's local records, a delete in a bucket.
#include "sync/direction.h"

#include <sys/stat.h>

#include <cerrno>

#include "scan/local_walker.h"
#include "sides/bucket_side.h"
#include "sides/local_side.h"
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

void SkipReplaced(Attempt& at, std::string why) {
  at.kind = ActionKind::kSkip;
  at.reason = SkipReason::kReplaced;
  at.notice = std::move(why);
}

std::string_view LinkName(std::string_view key) {
  return key.substr(0, key.size() - scan::kLinkSuffix.size());
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

const char* TypeName(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

}  // namespace

void Context::Notice(const std::string& where, const std::string& what) {
  std::lock_guard lock(report_mu_);
  report_.AddNotice(where, what);
}

void Context::CountKeyStore() {
  std::lock_guard lock(report_mu_);
  ++report_.key_store_count;
}

StatusOr<std::unique_ptr<sides::EntryStream>> Context::OpenFolder(const Location& loc,
                                                                  bool is_dst) {
  sides::LocalListOptions o;
  o.filter = options.filter;
  o.missing_ok = is_dst;
  o.clean_temps = is_dst && !options.dry_run;
  o.range = options.range;
  // Nothing is ever written or deleted through a destination's links.
  o.links = options.store_links             ? scan::Links::kStore
            : options.copy_links && !is_dst ? scan::Links::kFollow
                                            : scan::Links::kSkip;
  o.empty_dirs = options.create_empty_dirs && !is_dst;
  // One handle for the walk and the reads. A root that cannot be opened
  // is left to sides::OpenLocalStream, which says why.
  if (!is_dst) {
    if (auto opened = FileSystem::OpenRoot(loc.path, o.links == scan::Links::kFollow);
        opened.ok()) {
      root = std::move(*opened);
      o.root = root.fd;
    }
  }
  return sides::OpenLocalStream(loc.path, o);
}

StatusOr<std::unique_ptr<sides::EntryStream>> Context::OpenBucket(const Location& loc,
                                                                  bool is_dst) {
  sides::BucketListOptions o;
  Location bucket = loc;
  bucket.prefix.clear();
  o.name = bucket.Name();  // the problems name whole keys
  o.filter = options.filter;
  o.missing_ok = is_dst;
  o.range = options.range;
  return sides::OpenBucketStream(*loc.client, loc.bucket, loc.prefix, o);
}

Status Context::PrepareBucket() {
  if (options.dry_run) return Status::Ok();
  Status exists = s3::WaitStatus([&](auto done) { dst.client->HeadBucket(dst.bucket, done); });
  if (exists.code() == StatusCode::kNotFound && options.create_bucket) {
    Status made = s3::WaitStatus([&](auto done) { dst.client->CreateBucket(dst.bucket, done); });
    if (!made.ok() && made.code() != StatusCode::kAlreadyExists) return made;
  } else if (!exists.ok()) {
    return exists;
  }
  return Status::Ok();
}

std::string Context::LocalRel(const std::string& key,
                              const std::optional<plan::Entry>& local) const {
  if (local && !local->path.empty()) return local->path;
  return plan::NeedsKeyStore(key, options.store_links) ? plan::KeyStorePath(key) : key;
}

std::optional<plan::Remembered> Context::RecallLocal(index::Index& idx, const std::string& folder,
                                                     const std::string& key) {
  auto rec = idx.GetLocal(folder, key);
  if (!rec.ok() || !rec->has_value()) return std::nullopt;
  plan::Remembered r;
  // Not as the object says (content unproven, an attribute not set): fetched again.
  r.refetch = (*rec)->unverified || (*rec)->attrs_pending;
  r.has_local = true;
  r.size = (*rec)->size;
  r.mtime_ns = (*rec)->mtime_ns;
  r.inode = (*rec)->inode;
  r.etag = (*rec)->etag;
  r.xxh3 = (*rec)->xxh3;
  return r;
}

index::LocalRecord Context::LocalRecordOf(const struct stat& st, const Attempt& at) {
  index::LocalRecord r;
  r.size = static_cast<uint64_t>(st.st_size);
  r.mtime_ns = MtimeNs(st);
  r.inode = st.st_ino;
  r.mode = st.st_mode & 07777;
  r.etag = at.etag;
  r.xxh3 = at.xxh3;
  r.unverified = at.verdict == transfer::Verdict::kUnverifiable;
  return r;
}

// Opens the file the walk listed, beneath the root, if it is still that
// regular file: not a link on the way, not a FIFO or a device put in its
// place (opened without blocking, refused by its type before any read), not
// another file.
std::shared_ptr<fileio::Fd> Context::OpenListed(const plan::Entry& listed, const std::string& rel,
                                                struct stat* st, Attempt& at) {
  const std::string path = root.PathOf(rel);
  auto fd = fs.Open(root, rel);
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
  if (Status s = fs.Fstat((*fd)->get(), path, st); !s.ok()) {
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

bool Context::SameContent(Job& job, const plan::Entry& file, const plan::Entry& object,
                          const std::string& folder) {
  Attempt& at = job.attempt;
  StatusOr<bool> same = false;
  if (file.link) {
    struct stat st {};
    auto target = fs.ReadLink(root, LinkName(file.key), &st);
    same = target.ok() ? StatusOr<bool>(hash::Hex(hash::Md5(*target)) == object.etag)
                       : StatusOr<bool>(target.status());
  } else {
    struct stat st {};
    auto fd = OpenListed(file, at.local, &st, at);
    if (!fd) return true;  // a skip, or at.status
    std::string known;     // the index's xxh3 of the file when it held this very object
    if (options.index) {
      if (auto r = RecallLocal(*options.index, folder, job.action.src->key);
          r && r->etag == object.etag) {
        known = r->xxh3;
      }
    }
    same = ContentMatchesEtag(fd->get(), file.size, object.etag, options.transfer.part_size, known,
                              &at.xxh3);
  }
  if (!same.ok()) {
    at.status = same.status();
    return true;
  }
  if (!*same) return false;
  at.kind = ActionKind::kSkip;
  at.reason = SkipReason::kSameEtag;
  at.etag = object.etag;
  return true;
}

void Context::DeleteObject(const JobPtr& job, const std::function<void(JobPtr)>& done) {
  dst.client->DeleteObject(dst.bucket, ObjectKey(dst, job->action.key), [job, done](Status s) {
    job->attempt.status = s;
    done(job);
  });
}

}  // namespace gwsync::sync::internal
