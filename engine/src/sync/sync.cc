#include "sync/sync.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <tbb/flow_graph.h>
#include <tbb/task_arena.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <thread>

#include "http/bodies.h"
#include "sync/bucket_side.h"
#include "sync/local_side.h"
#include "sync/merge.h"
#include "sync/metadata.h"
#include "transfer/dest_dir.h"
#include "transfer/etag.h"
#include "transfer/files.h"
#include "util/workers.h"

namespace gwsync::sync {

std::string Location::ToString() const {
  if (kind == Kind::kLocal) return "'" + path + "'";
  return "s3://" + bucket + (prefix.empty() ? "" : "/" + prefix);
}

namespace {

using plan::ActionKind;
using plan::SkipReason;

// Files up to this size are read whole by prepare: one read gives their MD5
// and their body, instead of one for each.
constexpr uint64_t kReadWhole = 64 << 10;

// A body that owns the file it reads.
class OwnedFileSource final : public http::BodySource {
 public:
  OwnedFileSource(transfer::Fd fd, uint64_t size)
      : fd_(std::move(fd)), range_(fd_.get(), 0, size) {}
  uint64_t size() const override { return range_.size(); }
  StatusOr<size_t> Read(std::span<char> buf) override { return range_.Read(buf); }
  Status Rewind() override { return range_.Rewind(); }

 private:
  transfer::Fd fd_;
  http::FileRangeSource range_;
};

// One action on its way through the graph.
struct Job {
  plan::Action action;
  ActionKind kind = ActionKind::kSkip;  // what is done, once verified
  SkipReason reason = SkipReason::kNone;
  Status status;
  int attempts = 0;
  // Uploads: the file as opened and hashed.
  std::shared_ptr<transfer::Fd> fd;
  struct stat st {};
  hash::Md5Digest md5{};
  // Downloads: the temporary file holding what arrived, checked.
  std::shared_ptr<transfer::TempFile> temp;
  s3::ObjectHead head;
  bool content_checked = true;  // false: an ETag the bytes could not be checked against
  std::string etag;             // of the object as written or read
  std::string inline_body;      // uploads without a file: a link's target, a marker's ""
  // A small file read whole by prepare (one read for its MD5 and its body).
  std::optional<std::string> small_body;
  bool st_current = false;  // `st` is the file as it is after the upload (commit checked)
};
using JobPtr = std::shared_ptr<Job>;

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

// Whether the file holds the object's bytes (transfer/etag.h); an ETag of
// no known form cannot say so, and costs a transfer.
StatusOr<bool> ContentMatchesEtag(int fd, uint64_t size, const std::string& etag,
                                  uint64_t our_part_size) {
  ASSIGN_OR_RETURN(transfer::EtagCheck check,
                   transfer::CheckFdAgainstEtag(fd, size, etag, our_part_size));
  return check == transfer::EtagCheck::kMatch;
}

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
         a.st_mtim.tv_nsec == b.st_mtim.tv_nsec && a.st_ino == b.st_ino;
}

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
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

// Deletes planned while the listings stream, kept on disk (an unnamed
// temporary file) until the last phase, so memory does not grow with them.
class DeleteSpool {
 public:
  DeleteSpool() : file_(std::tmpfile()) {}
  ~DeleteSpool() {
    if (file_) std::fclose(file_);
  }
  DeleteSpool(const DeleteSpool&) = delete;
  DeleteSpool& operator=(const DeleteSpool&) = delete;

  Status Append(const plan::Entry& e) {
    if (!file_) return Internal("cannot create a temporary file for the planned deletes");
    uint32_t n = static_cast<uint32_t>(e.key.size());
    if (std::fwrite(&n, sizeof n, 1, file_) != 1 || std::fwrite(e.key.data(), 1, n, file_) != n ||
        std::fwrite(&e.size, sizeof e.size, 1, file_) != 1) {
      return Internal("cannot write the planned deletes to a temporary file (disk full?)");
    }
    ++count_;
    return Status::Ok();
  }
  uint64_t count() const { return count_; }
  // Reads the spool from its start, once.
  void Rewind() {
    if (file_) std::rewind(file_);
  }
  bool Read(plan::Entry* e) {
    uint32_t n = 0;
    if (!file_ || std::fread(&n, sizeof n, 1, file_) != 1) return false;
    e->key.resize(n);
    return std::fread(e->key.data(), 1, n, file_) == n &&
           std::fread(&e->size, sizeof e->size, 1, file_) == 1;
  }

 private:
  std::FILE* file_;
  uint64_t count_ = 0;
};

// Bounds the actions in flight: the planner takes a slot before it hands an
// action to the graph, the commit stage gives it back.
class Slots {
 public:
  explicit Slots(int n) : free_(std::max(1, n)) {}
  void Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return free_ > 0; });
    --free_;
  }
  void Release() {
    std::lock_guard lock(mu_);
    ++free_;
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int free_;
};

class Runner {
 public:
  Runner(const Location& src, const Location& dst, const SyncOptions& options)
      : src_(src),
        dst_(dst),
        options_(options),
        slots_(options.concurrency),
        workers_(std::max(2, static_cast<int>(std::thread::hardware_concurrency()))) {
    transfer_ = options.transfer;
    transfer_.workers = &workers_;
    // Cross-cluster copies hold parts in memory: all of them together at
    // most `parallel` parts, or one object below the multipart threshold.
    transfer_.buffers = std::make_shared<transfer::BufferBudget>(
        std::max<uint64_t>(static_cast<uint64_t>(std::max(1, transfer_.parallel)) *
                               transfer::PartSizeFor(0, transfer_.part_size),
                           transfer_.multipart_threshold));
    plan_options_.delete_extra = options.delete_extra;
    plan_options_.checksum = options.checksum;
    plan_options_.empty_dirs = options.create_empty_dirs;
    if (src.kind == Location::Kind::kLocal) {
      plan_options_.direction = plan::Direction::kUpload;
    } else if (dst.kind == Location::Kind::kLocal) {
      plan_options_.direction = plan::Direction::kDownload;
    } else {
      plan_options_.direction = plan::Direction::kCopy;
    }
  }

  StatusOr<SyncReport> Run();

 private:
  using Feed = std::function<void(JobPtr)>;
  StatusOr<std::unique_ptr<EntryStream>> Open(const Location& loc, bool is_dst) const;
  Status PrepareDestination();
  // The planner thread: merges the listings and feeds the graph.
  void PlanAll(Merger& merger, const Feed& feed);
  // The last phase: the spooled deletes, when nothing forbids them.
  void PlanDeletes(const Feed& feed);
  std::optional<plan::Remembered> Recall(const plan::Entry* src, const plan::Entry* dst);
  void Prepare(Job& job);
  void StartTransfer(const JobPtr& job, const std::function<void(JobPtr)>& done);
  void StartUpload(const JobPtr& job, const std::function<void(JobPtr)>& done);
  std::shared_ptr<transfer::CheckpointStore> UploadCheckpoints(const std::string& key);
  void StartDownload(const JobPtr& job, const std::function<void(JobPtr)>& done);
  void StartCopy(const JobPtr& job, const std::function<void(JobPtr)>& done);
  void StartDelete(const JobPtr& job, const std::function<void(JobPtr)>& done);
  // Returns false when the job goes round again (a file that changed).
  bool Commit(Job& job);
  Status CommitLink(Job& job);
  void Record(const Job& job);
  // Under report_mu_.
  void Count(const std::string& what, uint64_t bytes);
  void Progress(bool force = false);
  void OnProblem(Merger::SideId side, const Problem& p);

  const std::string& LocalRoot() const {
    return src_.kind == Location::Kind::kLocal ? src_.path : dst_.path;
  }
  std::string ObjectKey(const Location& loc, const std::string& key) const {
    return loc.prefix + key;
  }
  // --links: the link a KEY.rclonelink object stands for, and its target.
  bool IsStoredLink(const std::string& key) const {
    return options_.store_links && key.ends_with(scan::kLinkSuffix);
  }
  static std::string LinkPath(const std::string& root, const std::string& key) {
    return JoinPath(root, key.substr(0, key.size() - scan::kLinkSuffix.size()));
  }
  static StatusOr<std::string> ReadLink(const std::string& path) {
    std::string target(4096, '\0');
    ssize_t n = readlink(path.c_str(), target.data(), target.size());
    if (n < 0) return transfer::ErrnoStatus("cannot read the link '" + path + "'", errno);
    target.resize(static_cast<size_t>(n));
    return target;
  }
  StatusOr<bool> LinkMatchesEtag(const std::string& key, const std::string& etag) const {
    ASSIGN_OR_RETURN(std::string target, ReadLink(LinkPath(LocalRoot(), key)));
    return hash::Hex(hash::Md5(target)) == etag;
  }
  // An empty folder's "dir/" marker (--create-empty-src-dirs).
  static bool IsMarker(const Job& job) { return job.action.key.ends_with('/'); }
  // A file that became a link since it was listed is not read through it.
  int NoFollow() const {
    return options_.copy_links && plan_options_.direction == plan::Direction::kUpload ? 0
                                                                                      : O_NOFOLLOW;
  }
  const plan::Entry& FileSide(const Job& job) const {
    return plan_options_.direction == plan::Direction::kUpload ? *job.action.src : *job.action.dst;
  }

  const Location& src_;
  const Location& dst_;
  const SyncOptions& options_;
  plan::PlanOptions plan_options_;
  Slots slots_;
  DeleteSpool deletes_;
  std::unique_ptr<EntryStream> src_stream_, dst_stream_;
  uint64_t source_read_errors_ = 0;  // the planner thread's

  std::mutex report_mu_;  // guards report_ and progress_
  SyncReport report_;
  SyncProgress progress_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_progress_{};

  // Hashing, file reads and checkpoint saves of the transfers: a fixed pool.
  util::Workers workers_;
  transfer::TransferOptions transfer_;  // options_.transfer, with workers_
};

StatusOr<std::unique_ptr<EntryStream>> Runner::Open(const Location& loc, bool is_dst) const {
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
    return OpenLocalStream(loc.path, o);
  }
  BucketListOptions o;
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
    return r;
  }
  auto rec = options_.index->GetLocal(LocalRoot(), key);
  if (!rec.ok() || !rec->has_value()) return std::nullopt;
  r.has_local = true;
  r.size = (*rec)->size;
  r.mtime_ns = (*rec)->mtime_ns;
  r.inode = (*rec)->inode;
  r.etag = (*rec)->etag;
  return r;
}

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
  auto temp = transfer::CreateDestTemp(dst_.path, object.key);
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
                              job->content_checked = r->etag_verified;
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

// On the serial commit stage: the only place, beside the planner's skips,
// that touches the report, and the only one that writes the index.
bool Runner::Commit(Job& job) {
  const plan::Action& a = job.action;
  if (job.status.ok() && !options_.dry_run && job.kind == ActionKind::kDownload) {
    // Length and content were checked by the transfer.
    if (IsStoredLink(a.key)) {
      job.status = CommitLink(job);
    } else {
      ApplyAttrs(job.temp->fd(), job.head, options_);
      job.status = job.temp->Commit();
    }
    job.temp.reset();
    if (job.status.ok() && !job.content_checked) {
      std::lock_guard lock(report_mu_);
      report_.AddNotice(a.key, "content not checked: no part size reproduces its multipart ETag " +
                                   job.etag + " (uploaded by another tool?); length checked");
    }
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
  idx->PutLocal(LocalRoot(), a.key, r).IgnoreError();
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
  while (merger.Next(&a)) {
    ActionKind kind = a.kind;
    if (kind == ActionKind::kSkip) {
      uint64_t bytes = a.src ? a.src->size : (a.dst ? a.dst->size : 0);
      std::lock_guard lock(report_mu_);
      Count("skip: " + std::string(plan::SkipReasonName(a.reason)), bytes);
      if (a.reason == SkipReason::kUnsafeKey) {
        report_.AddError(a.key, "refused: the key would escape the destination folder");
        ++progress_.errors;
      }
      Progress();
      continue;
    }
    if (kind == ActionKind::kDelete) {
      Status s = deletes_.Append(*a.dst);
      std::lock_guard lock(report_mu_);
      if (!s.ok()) {
        report_.AddError(a.key, s.message());
        ++progress_.errors;
      }
      continue;
    }
    {
      std::lock_guard lock(report_mu_);
      if (kind != ActionKind::kMkdir) {
        ++progress_.planned_objects;
        if (a.src) progress_.planned_bytes += a.src->size;
      }
    }
    if (options_.dry_run && options_.on_plan && kind != ActionKind::kVerify &&
        kind != ActionKind::kMkdir) {
      options_.on_plan(a);
    }
    auto job = std::make_shared<Job>();
    job->action = std::move(a);
    a = plan::Action();
    slots_.Acquire();
    feed(std::move(job));
  }
  std::lock_guard lock(report_mu_);
  report_.source_objects = merger.source_entries();
  report_.destination_objects = merger.destination_entries();
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
    uint64_t dst_objects = report_.destination_objects;
    if (report_.error_count > 0) {
      refusal = "not deleting " + std::to_string(n) +
                " objects: " + std::to_string(report_.error_count) +
                " errors happened in this run (" + std::to_string(source_read_errors_) +
                " reading the source); fix them and run again";
    } else if (!options_.force_delete && report_.source_objects == 0) {
      refusal = "not deleting " + std::to_string(n) +
                " objects: the source lists nothing (a wrong path or prefix?); use "
                "--force-delete to delete everything at the destination";
    } else if (!options_.force_delete &&
               ((options_.max_delete > 0 && n > options_.max_delete) ||
                (options_.max_delete_percent > 0 && n > SyncOptions::kSmallDelete &&
                 100.0 * n > options_.max_delete_percent * dst_objects))) {
      refusal = "not deleting " + std::to_string(n) + " of " + std::to_string(dst_objects) +
                " objects: more than --max-delete allows; use --force-delete to delete them";
    }
    if (!refusal.empty()) {
      report_.deletes_refused = n;
      report_.delete_refusals.push_back(refusal);
      ++report_.error_count;
      ++progress_.errors;
      return;
    }
    progress_.planned_objects += n;
  }
  deletes_.Rewind();
  plan::Entry e;
  while (deletes_.Read(&e)) {
    auto job = std::make_shared<Job>();
    job->action.kind = ActionKind::kDelete;
    job->action.key = e.key;
    job->action.dst = e;
    if (options_.dry_run && options_.on_plan) options_.on_plan(job->action);
    slots_.Acquire();
    feed(std::move(job));
  }
}

StatusOr<SyncReport> Runner::Run() {
  // A sync that cannot read its source's root creates nothing.
  ASSIGN_OR_RETURN(src_stream_, Open(src_, false));
  ASSIGN_OR_RETURN(dst_stream_, Open(dst_, true));
  RETURN_IF_ERROR(PrepareDestination());

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
    auto to_commit = [&finished](JobPtr job) {
      {
        std::lock_guard lock(finished.mu);
        finished.jobs.push_back(std::move(job));
      }
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
      std::vector<JobPtr> batch;
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
            job->action.kind = ActionKind::kUpload;  // round again, in the same slot
            start_parallel.try_put(std::move(job));
            continue;
          }
          slots_.Release();
          open.fetch_sub(1);
        }
        if (options_.index)
          options_.index->CommitBatch().IgnoreError();  // a cache: a lost write costs a re-read
        batch.clear();
      }
      feeder.join();
      g.wait_for_all();
    };

    Merger merger(
        src_stream_.get(), dst_stream_.get(), plan_options_,
        [this](const plan::Entry& s, const plan::Entry& d) { return Recall(&s, &d); },
        [this](Merger::SideId side, const Problem& p) { OnProblem(side, p); });
    run([&] { PlanAll(merger, feed); });
    {
      std::lock_guard lock(report_mu_);
      progress_.listing_done = true;
    }
    // Deletes last, after every transfer.
    run([&] { PlanDeletes(feed); });
  });
  std::lock_guard lock(report_mu_);
  Progress(/*force=*/true);
  report_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return report_;
}

}  // namespace

void SyncReport::AddError(std::string key, std::string message) {
  ++error_count;
  if (errors.size() < kMaxErrorsKept) errors.emplace_back(std::move(key), std::move(message));
}

void SyncReport::AddNotice(std::string key, std::string message) {
  ++notice_count;
  if (notices.size() < kMaxErrorsKept) notices.emplace_back(std::move(key), std::move(message));
}

void SyncReport::Add(const SyncReport& other, const std::string& key_prefix) {
  for (const auto& [name, t] : other.actions) {
    Tally& mine = actions[name];
    mine.objects += t.objects;
    mine.bytes += t.bytes;
  }
  for (const auto& [key, msg] : other.errors) AddError(key_prefix + key, msg);
  error_count += other.error_count - other.errors.size();
  for (const auto& [key, msg] : other.notices) AddNotice(key_prefix + key, msg);
  notice_count += other.notice_count - other.notices.size();
  deletes_refused += other.deletes_refused;
  manifests.insert(manifests.end(), other.manifests.begin(), other.manifests.end());
  for (const auto& why : other.delete_refusals) {
    std::string where = key_prefix.substr(0, key_prefix.find_last_not_of('/') + 1);
    delete_refusals.push_back(where.empty() ? why : "bucket " + where + ": " + why);
  }
  error_count += other.delete_refusals.size();
  source_objects += other.source_objects;
  destination_objects += other.destination_objects;
}

StatusOr<SyncReport> RunSync(const Location& src, const Location& dst, const SyncOptions& options) {
  Runner runner(src, dst, options);
  return runner.Run();
}

}  // namespace gwsync::sync
