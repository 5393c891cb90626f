// The machinery of one sync (sync.h's RunSync), shared by the files that
// implement it: sync.cc (the run, the pipeline), planner.cc (the plan node's
// jobs, the deletes) and transfers.cc (the steps of each job every
// direction shares). What depends on the direction is its Direction's
// (direction.h). Not part of the module's interface.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "sides/stream.h"
#include "sync/direction.h"
#include "sync/file_system.h"
#include "sync/job.h"
#include "sync/merge.h"
#include "sync/sync.h"
#include "transfer/object_transfer.h"
#include "util/workers.h"

namespace gwsync::sync::internal {

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
        fs_(options.file_system ? *options.file_system : *FileSystem::Default()) {
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
    // The one place the direction is told.
    if (src.kind == Location::Kind::kLocal) {
      plan_options_.direction = plan::Direction::kUpload;
      direction_ = MakeUpload(ctx_);
    } else if (dst.kind == Location::Kind::kLocal) {
      plan_options_.direction = plan::Direction::kDownload;
      direction_ = MakeDownload(ctx_);
    } else {
      plan_options_.direction = plan::Direction::kCopy;
      direction_ = MakeCopy(ctx_);
    }
  }

  StatusOr<SyncReport> Run();
  bool Stopped() const { return options_.stop && options_.stop->load(); }

 private:
  using Batch = std::vector<JobPtr>;
  // The pipeline (sync.cc): the graph, its phases.
  void RunGraph();
  // One phase: the jobs of `next`, until it gives none, each committed.
  void RunPhase(const std::function<JobPtr()>& next);

  // The plan node's sources (planner.cc): the next job, or null when none is
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
  // Each job's steps (transfers.cc): what every direction shares, around
  // its Direction's.
  void Prepare(Job& job);
  void StartTransfer(const JobPtr& job, const Direction::Done& done);
  // Returns false when the job goes round again (a file that changed).
  bool Commit(Job& job);
  // Under report_mu_.
  void Count(const std::string& what, uint64_t bytes);
  void Progress(bool force = false);
  void OnProblem(Merger::SideId side, const sides::Problem& p);

  const Location& src_;
  const Location& dst_;
  const SyncOptions& options_;
  plan::PlanOptions plan_options_;
  FileSystem& fs_;  // the local file operations the sync decides on
  LocalRoot root_;  // the local side's (Context::root)
  DeleteSpool deletes_;
  bool deletes_checked_ = false;  // the deleter's
  bool deletes_allowed_ = false;
  std::mutex finished_mu_;  // one ChangeSource::Finished at a time
  std::unique_ptr<sides::EntryStream> src_stream_, dst_stream_;
  uint64_t source_read_errors_ = 0;  // the plan node's

  std::mutex report_mu_;  // guards report_ and progress_
  SyncReport report_;
  SyncProgress progress_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_progress_{};

  // Hashing, file reads and checkpoint saves of the transfers: a fixed pool.
  util::Workers workers_;
  transfer::TransferOptions transfer_;  // options_.transfer, with workers_
  Context ctx_{src_, dst_, options_, fs_, root_, transfer_, workers_, report_mu_, report_};
  std::unique_ptr<Direction> direction_;  // upload, download or copy: the constructor's choice
};

}  // namespace gwsync::sync::internal
