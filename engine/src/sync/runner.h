// The machinery of one sync (sync.h's RunSync), shared by the files that
// implement it: sync.cc (the streams, the planner, the pipeline, the
// deletes) and transfers.cc (preparing, starting and committing each
// object's transfer). Not part of the module's interface.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <tbb/flow_graph.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "fileio/dest_dir.h"
#include "fileio/files.h"
#include "scan/local_walker.h"
#include "sides/stream.h"
#include "sync/file_system.h"
#include "sync/manifest_kept.h"
#include "sync/merge.h"
#include "sync/metadata.h"
#include "sync/sync.h"
#include "transfer/object_transfer.h"
#include "util/slots.h"
#include "util/workers.h"

namespace gwsync::sync::internal {

using plan::ActionKind;
using plan::SkipReason;

// Files up to this size are read whole by prepare: one read gives their MD5
// and their body, instead of one for each.
constexpr uint64_t kReadWhole = 64 << 10;

// One round of a job through prepare, transfer and commit, and all it
// learns on the way. A round again (a file that changed while it was read)
// starts from a fresh one, so it can never send the previous round's body,
// digest, descriptor or stat.
struct Attempt {
  ActionKind kind = ActionKind::kSkip;  // what is done, once verified
  SkipReason reason = SkipReason::kNone;
  Status status;
  // Uploads: the file as opened and hashed.
  std::shared_ptr<fileio::Fd> fd;
  struct stat st {};
  hash::Md5Digest md5{};
  // A small file read whole by prepare (one read for its MD5 and its body).
  std::optional<std::string> small_body;
  std::string inline_body;  // uploads without a file: a link's target, a marker's ""
  bool st_current = false;  // `st` is the file as it is after the upload (commit checked)
  // A skip of a file that is no longer the one listed: why, for a notice.
  std::string notice;
  // Downloads: the temporary file holding what arrived, checked.
  std::shared_ptr<fileio::TempFile> temp;
  s3::ObjectHead head;
  std::vector<std::pair<std::string, std::string>> tags;  // the object's, when it has any
  // Uploads: what the object kept when the file was downloaded (its
  // user.gwsync.headers), for the file as it still is.
  std::optional<KeptHeaders> kept;
  // Downloads: the same, encoded (EncodeKept), for the index.
  std::string kept_encoded;
  // Downloads and copies: whether the bytes are proven the source's
  // (transfer/etag.h), and why not; the part layout the object records.
  transfer::Verdict verdict = transfer::Verdict::kVerified;
  std::string why;
  std::optional<transfer::PartLayout> layout;
  // The file's path under the local root: its key, or its place in the key
  // store (LocalRel, or where a clash with a folder put it).
  std::string local;
  // False when the file is in place but not as the object says (an
  // attribute that could not be set): recorded in the index as such, so the
  // next run fetches it again.
  bool settled = true;
  std::string etag;  // of the object as written or read
  // The xxh3-128 (hex) of the file's bytes as read or written, for its
  // records (index, run manifest); empty: not known.
  std::string xxh3;
};

// One planned action on its way through the graph.
struct Job {
  explicit Job(plan::Action a) : action(std::move(a)) {}
  const plan::Action action;  // as planned
  // Rounds begun; a file that keeps changing fails after kMaxRounds.
  static constexpr int kMaxRounds = 3;
  int rounds = 0;
  // An upload from a backup folder: what its run manifest keeps for the
  // file, should the file have no user.gwsync.headers (a file system
  // without user attributes).
  std::optional<KeptHeaders> manifest_kept;
  // A change feed's token for the change planned (ChangeSource::Finished).
  std::optional<uint64_t> token;
  Attempt attempt;  // the round under way
};
using JobPtr = std::shared_ptr<Job>;

std::string JoinPath(const std::string& root, const std::string& key);
Status MakeParents(const std::string& path);
bool SameFile(const struct stat& a, const struct stat& b);
using fileio::MtimeNs;

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

  // `token`: a change feed's, for the change the delete comes from.
  Status Append(const plan::Entry& e, std::optional<uint64_t> token = std::nullopt) {
    if (!file_) return Internal("cannot create a temporary file for the planned deletes");
    uint32_t n = static_cast<uint32_t>(e.key.size());
    uint32_t p = static_cast<uint32_t>(e.path.size());
    uint8_t has = token.has_value();
    uint64_t t = token.value_or(0);
    if (std::fwrite(&has, 1, 1, file_) != 1 || std::fwrite(&t, sizeof t, 1, file_) != 1 ||
        std::fwrite(&n, sizeof n, 1, file_) != 1 || std::fwrite(e.key.data(), 1, n, file_) != n ||
        std::fwrite(&e.size, sizeof e.size, 1, file_) != 1 ||
        std::fwrite(&p, sizeof p, 1, file_) != 1 || std::fwrite(e.path.data(), 1, p, file_) != p) {
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
  bool Read(plan::Entry* e, std::optional<uint64_t>* token) {
    uint32_t n = 0;
    uint8_t has = 0;
    uint64_t t = 0;
    if (!file_ || std::fread(&has, 1, 1, file_) != 1 || std::fread(&t, sizeof t, 1, file_) != 1 ||
        std::fread(&n, sizeof n, 1, file_) != 1) {
      return false;
    }
    *token = has ? std::optional<uint64_t>(t) : std::nullopt;
    e->key.resize(n);
    uint32_t p = 0;
    if (std::fread(e->key.data(), 1, n, file_) != n ||
        std::fread(&e->size, sizeof e->size, 1, file_) != 1 ||
        std::fread(&p, sizeof p, 1, file_) != 1) {
      return false;
    }
    e->path.resize(p);
    return std::fread(e->path.data(), 1, p, file_) == p;
  }

 private:
  std::FILE* file_;
  uint64_t count_ = 0;
};

class Runner {
 public:
  Runner(const Location& src, const Location& dst, const SyncOptions& options)
      : src_(src),
        dst_(dst),
        options_(options),
        fs_(options.file_system ? *options.file_system : *FileSystem::Default()),
        slots_(options.concurrency, std::max(1, options.concurrency / 8)),
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
    plan_options_.keep_own_manifests =
        options.manifest.bucket && dst.kind == Location::Kind::kRemote && !options.dry_run;
    if (src.kind == Location::Kind::kLocal) {
      plan_options_.direction = plan::Direction::kUpload;
    } else if (dst.kind == Location::Kind::kLocal) {
      plan_options_.direction = plan::Direction::kDownload;
    } else {
      plan_options_.direction = plan::Direction::kCopy;
    }
  }

  StatusOr<SyncReport> Run();
  bool Stopped() const { return options_.stop && options_.stop->load(); }

 private:
  using Batch = std::vector<JobPtr>;
  StatusOr<std::unique_ptr<sides::EntryStream>> Open(const Location& loc, bool is_dst);
  Status PrepareDestination();
  // The pipeline (sync.cc): the planner's thread, the graph, the commits.
  void RunGraph();

  // The planner's sources (planner.cc): the next job, or null when none is
  // left (and again null if asked again).
  JobPtr NextListed(Merger& merger);
  JobPtr NextChange();
  JobPtr NextDelete();
  JobPtr Admit(plan::Action& a, std::optional<uint64_t> token);
  void EndPlanning();
  bool DeletesAllowed();
  std::string DeleteRefusal(uint64_t n) const;
  // A change planned as a listing's key would be, against the local file
  // as it is now; nullopt when it is outside the sync (prefix, range, filter).
  // A removal is checked with the bucket (HEAD) before a file is deleted.
  StatusOr<std::optional<plan::Action>> PlanChange(const Change& c);
  // The local file a key stands for, as the walk would list it.
  std::optional<plan::Entry> LocalEntry(const std::string& key);
  // Hands a change's outcome back to its feed, one at a time.
  void Finished(const Job& job);
  void Finished(uint64_t token, bool ok);
  // A change feed's spooled deletes that will not run: failed, to come again.
  void FailSpooled();
  std::optional<plan::Remembered> Recall(const plan::Entry* src, const plan::Entry* dst);
  void Prepare(Job& job);
  std::shared_ptr<fileio::Fd> OpenListed(const plan::Entry& listed, const std::string& rel,
                                         struct stat* st, Attempt& at);
  void StartTransfer(const JobPtr& job, const std::function<void(JobPtr)>& done);
  void StartUpload(const JobPtr& job, const std::function<void(JobPtr)>& done);
  std::shared_ptr<transfer::CheckpointStore> UploadCheckpoints(const std::string& key);
  // At the end of a complete run to a bucket: aborts the uploads of its
  // checkpoints that no run saved for kAbandonedAfter (report: uploads_aborted).
  void AbortAbandonedUploads();
  void StartDownload(const JobPtr& job, const std::function<void(JobPtr)>& done);
  void StartCopy(const JobPtr& job, const std::function<void(JobPtr)>& done);
  void FetchTags(const JobPtr& job, const std::function<void(JobPtr)>& done);
  void StartDelete(const JobPtr& job, const std::function<void(JobPtr)>& done);
  // Returns false when the job goes round again (a file that changed).
  bool Commit(Job& job);
  Status CommitLink(Job& job);
  void Record(const Job& job);
  // Under report_mu_.
  void Count(const std::string& what, uint64_t bytes);
  void Progress(bool force = false);
  void OnProblem(Merger::SideId side, const sides::Problem& p);

  // How the report names an action's key (SyncReport): in the bucket it
  // comes from or goes to (the source's, bucket to bucket); a delete, where
  // it deletes.
  std::string Where(const plan::Action& a) const {
    if (a.kind == ActionKind::kDelete) {
      return dst_.kind == Location::Kind::kLocal ? dst_.Name(LocalRel(a)) : dst_.Name(a.key);
    }
    return (src_.kind == Location::Kind::kRemote ? src_ : dst_).Name(a.key);
  }
  const std::string& LocalPath() const {
    return src_.kind == Location::Kind::kLocal ? src_.path : dst_.path;
  }
  std::string ObjectKey(const Location& loc, const std::string& key) const {
    return loc.prefix + key;
  }
  // --links: the link a KEY.rclonelink object stands for, and its target.
  bool IsStoredLink(const std::string& key) const {
    return options_.store_links && key.ends_with(scan::kLinkSuffix) &&
           !plan::NeedsKeyStore(key, /*links=*/true);  // the store holds it as a file
  }
  // Where the action's key lives (or will) under the local root: the local
  // entry's path, else its own name or its place in the key store.
  std::string LocalRel(const plan::Action& a) const {
    const bool up = plan_options_.direction == plan::Direction::kUpload;
    const std::optional<plan::Entry>& local = up ? a.src : a.dst;
    if (local && !local->path.empty()) return local->path;
    return plan::NeedsKeyStore(a.key, options_.store_links) ? plan::KeyStorePath(a.key) : a.key;
  }
  // A key that is also a folder (`a` beside `a/b`): the file `a` on the way
  // of `rel` goes to the key store, so that the folder can be made.
  Status MoveFileOnTheWay(std::string_view rel);
  static std::string LinkName(const std::string& key) {
    return key.substr(0, key.size() - scan::kLinkSuffix.size());
  }
  StatusOr<bool> LinkMatchesEtag(const std::string& key, const std::string& etag) const {
    struct stat st {};
    ASSIGN_OR_RETURN(std::string target, fs_.ReadLink(root_, LinkName(key), &st));
    return hash::Hex(hash::Md5(target)) == etag;
  }
  // An empty local folder listed as its marker (--create-empty-src-dirs),
  // not a marker object kept in the key store.
  static bool IsMarker(const Job& job) {
    return job.action.key.ends_with('/') && (!job.action.src || job.action.src->path.empty());
  }
  const plan::Entry& FileSide(const Job& job) const {
    return plan_options_.direction == plan::Direction::kUpload ? *job.action.src : *job.action.dst;
  }

  const Location& src_;
  const Location& dst_;
  const SyncOptions& options_;
  plan::PlanOptions plan_options_;
  FileSystem& fs_;  // the local file operations the sync decides on
  // The local side's root, opened once: its files are read beneath it (a
  // source's, as the walk lists them; a destination's, once it exists).
  LocalRoot root_;
  DeleteSpool deletes_;
  bool deletes_checked_ = false;  // the deleter's
  bool deletes_allowed_ = false;
  std::mutex finished_mu_;  // one ChangeSource::Finished at a time
  util::Slots slots_;       // jobs in flight: at most options.concurrency
  std::unique_ptr<sides::EntryStream> src_stream_, dst_stream_;
  uint64_t source_read_errors_ = 0;  // the planner thread's

  std::mutex report_mu_;                   // guards report_ and progress_
  bool headers_in_manifest_said_ = false;  // guarded by report_mu_
  // A restore's source folder's latest run manifest (planner thread).
  std::unique_ptr<ManifestKept> manifest_kept_;
  SyncReport report_;
  SyncProgress progress_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_progress_{};

  // Hashing, file reads and checkpoint saves of the transfers: a fixed pool.
  util::Workers workers_;
  transfer::TransferOptions transfer_;  // options_.transfer, with workers_
  std::mutex clash_mu_;                 // one key store move at a time (MoveFileOnTheWay)
  // A download's folders, kept open between keys.
  fileio::DestFolders dest_folders_{dst_.path};
};

}  // namespace gwsync::sync::internal
