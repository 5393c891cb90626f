// What a sync does in its direction: an upload (a folder to a bucket), a
// download (a bucket to a folder) or a copy (a bucket to a bucket), each a
// Direction of its own (direction_upload.cc, direction_download.cc,
// direction_copy.cc). The pipeline (runner.h) opens the run, plans and
// moves each job through the same stages whatever the direction, and asks
// its Direction what that stage means. Not part of the module's interface.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "index/index.h"
#include "plan/plan.h"
#include "sides/stream.h"
#include "sync/file_system.h"
#include "sync/job.h"
#include "sync/sync.h"
#include "transfer/object_transfer.h"
#include "util/workers.h"

namespace gwsync::sync::internal {

// Files up to this size are read whole by prepare: one read gives their MD5
// and their body, instead of one for each.
constexpr uint64_t kReadWhole = 64 << 10;

std::string JoinPath(const std::string& root, const std::string& key);
Status MakeParents(const std::string& path);
bool SameFile(const struct stat& a, const struct stat& b);
using fileio::MtimeNs;
// A file that is no longer the one listed is skipped with a notice: the
// listing did not see it, so the next run decides afresh.
void SkipReplaced(Attempt& at, std::string why);
// --links: the link a KEY.rclonelink object stands for.
std::string_view LinkName(std::string_view key);

// What the pipeline lends its Direction: the run's ends and options, the
// local side's root, the transfers' options and workers, and the report
// (through Notice and CountKeyStore, which take its lock). What is shared
// by more than one direction is here too. Any thread; `root` is set before
// the first job and not changed after.
class Context {
 public:
  Context(const Location& src, const Location& dst, const SyncOptions& options, FileSystem& fs,
          LocalRoot& root, const transfer::TransferOptions& transfer, util::Workers& workers,
          std::mutex& report_mu, SyncReport& report)
      : src(src),
        dst(dst),
        options(options),
        fs(fs),
        root(root),
        transfer(transfer),
        workers(workers),
        report_mu_(report_mu),
        report_(report) {}

  const Location& src;
  const Location& dst;
  const SyncOptions& options;
  FileSystem& fs;  // the local file operations the sync decides on
  // The local side's root, opened once: its files are read beneath it (a
  // source's, as the walk lists them; a destination's, once it exists).
  LocalRoot& root;
  const transfer::TransferOptions& transfer;  // options.transfer, with `workers`
  util::Workers& workers;  // hashing, file reads and checkpoint saves, on the engine's arena

  void Notice(const std::string& where, const std::string& what);
  // A key that went to the key store (a folder of its name was in the way).
  void CountKeyStore();

  // The ends as streams (sides/stream.h). A local source's root is opened
  // into `root` on the way.
  StatusOr<std::unique_ptr<sides::EntryStream>> OpenFolder(const Location& loc, bool is_dst);
  StatusOr<std::unique_ptr<sides::EntryStream>> OpenBucket(const Location& loc, bool is_dst);
  // The destination bucket, created if it is missing and --create-bucket.
  Status PrepareBucket();
  // Multipart progress of one object, kept in the index's uploads family
  // (upload_checkpoints.cc).
  std::shared_ptr<transfer::CheckpointStore> UploadCheckpoints(const std::string& key);
  // At the end of a complete run to a bucket: aborts the uploads of its
  // checkpoints that no run saved for kAbandonedAfter (report:
  // uploads_aborted).
  void AbortAbandonedUploads();

  std::string ObjectKey(const Location& loc, const std::string& key) const {
    return loc.prefix + key;
  }
  // Where a key lives (or will) under the local root: `local`'s path, else
  // its own name or its place in the key store.
  std::string LocalRel(const std::string& key, const std::optional<plan::Entry>& local) const;
  // What the index remembers of `key` under the local root `folder`.
  std::optional<plan::Remembered> RecallLocal(index::Index& idx, const std::string& folder,
                                              const std::string& key);
  // The index's record of a local file as `st` says, with what the round learnt.
  static index::LocalRecord LocalRecordOf(const struct stat& st, const Attempt& at);

  // Opens the file the walk listed, if it is still that regular file; null
  // with a skip and its notice in `at`, or the error, otherwise.
  std::shared_ptr<fileio::Fd> OpenListed(const plan::Entry& listed, const std::string& rel,
                                         struct stat* st, Attempt& at);
  // Prepare of a verify: whether the local `file` (under `folder` in the
  // index) holds `object`'s bytes. True when that ends the round's prepare
  // (equal: a skip; or a skip or error in the attempt), false when the
  // object is to be transferred.
  bool SameContent(Job& job, const plan::Entry& file, const plan::Entry& object,
                   const std::string& folder);
  // A delete of an object at the destination (a bucket).
  void DeleteObject(const JobPtr& job, const std::function<void(JobPtr)>& done);

 private:
  std::mutex& report_mu_;  // guards report_
  SyncReport& report_;
};

// The steps of a sync that depend on its direction. The run's are called
// on the caller's thread, before and after the pipeline; the planner's by
// the graph's plan node (the caller's thread too); each job's Prepare and
// Start there or on a TBB worker, its Commit and Record by the commit node
// (the caller's thread), one job at a time.
class Direction {
 public:
  using Done = std::function<void(JobPtr)>;
  virtual ~Direction() = default;

  // --- The run.
  // Whether a change feed can drive it (a bucket to a folder only).
  virtual bool TakesChanges() const { return false; }
  virtual StatusOr<std::unique_ptr<sides::EntryStream>> OpenSource() = 0;
  virtual StatusOr<std::unique_ptr<sides::EntryStream>> OpenDestination() = 0;
  // Before the first job: the destination made ready (a bucket created, a
  // folder made), and what the direction keeps open for the run.
  virtual Status Begin() = 0;
  // After a run that was not stopped.
  virtual void End() {}

  // --- Planning.
  // What the index remembers of a key on both sides.
  virtual std::optional<plan::Remembered> Recall(index::Index& idx, const plan::Entry& src,
                                                 const plan::Entry& dst) = 0;
  // Where the action's key lives under the local root; empty when no side
  // is local.
  virtual std::string LocalRel(const plan::Action& a) const = 0;
  // How the report names an action's key (SyncReport): in the bucket it
  // comes from or goes to (the source's, bucket to bucket); a delete, where
  // it deletes.
  virtual std::string Where(const plan::Action& a) const = 0;
  // A job just planned (not a delete), by the plan node.
  virtual void Planned(Job& /*job*/) {}
  // The bytes the job's prepare hashes: a large file's go to the workers.
  virtual uint64_t BytesToHash(const plan::Action& /*a*/) const { return 0; }

  // --- Each job.
  // Opens and hashes what the transfer sends or compares, never network.
  // The attempt is fresh, with the planned kind and reason.
  virtual void Prepare(Job& job) = 0;
  // Hands the transfer (or delete) to the curl loop and returns; `done`
  // runs once, on any thread. Called only with a good attempt, not in a
  // dry run.
  virtual void Start(const JobPtr& job, const Done& done) = 0;
  // The direction's part of the commit: the transferred file put in
  // place, or the sent file checked. False when the job goes round again.
  virtual bool Commit(Job& job) = 0;
  // Remembers in the index what a good, committed job put in sync.
  virtual void Record(const Job& job, index::Index& idx) = 0;
};

std::unique_ptr<Direction> MakeUpload(Context& ctx);
std::unique_ptr<Direction> MakeDownload(Context& ctx);
std::unique_ptr<Direction> MakeCopy(Context& ctx);

}  // namespace gwsync::sync::internal
