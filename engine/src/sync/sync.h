// Sync makes a destination (a local folder, or a bucket and prefix) match a
// source. It lists both sides, plans one action per key with the pure
// planner, and carries the actions out in a TBB flow graph:
//
//   actions -> limiter -> prepare (hash where needed) -> transfer (async, over
//   the curl event loop) -> commit (verify, rename, index, report)
//
// with a bounded number of actions in flight, so memory stays flat. RunSync
// blocks its caller; progress callbacks come from the commit stage, one at a
// time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "index/index.h"
#include "plan/plan.h"
#include "s3/client.h"
#include "transfer/object_transfer.h"

namespace gwsync::sync {

struct Location {
  enum class Kind { kLocal, kRemote };
  Kind kind = Kind::kLocal;
  std::string path;                    // local: the root folder
  const s3::Client* client = nullptr;  // remote
  std::string bucket;
  std::string prefix;  // "" or ending in '/'
  // Names the cluster and user in the index ("http://host:port access-key").
  std::string remote_id;

  std::string ToString() const;
};

struct SyncProgress {
  uint64_t planned_objects = 0;  // actions that move or delete data
  uint64_t planned_bytes = 0;
  uint64_t done_objects = 0;
  uint64_t done_bytes = 0;
  uint64_t errors = 0;
  double seconds = 0;
};

struct SyncOptions {
  bool delete_extra = false;
  bool dry_run = false;
  bool checksum = false;
  plan::Filter filter;
  int concurrency = 32;  // objects in flight
  transfer::TransferOptions transfer;
  index::Index* index = nullptr;  // null: --no-index
  bool create_bucket = true;      // a missing destination bucket is created
  bool restore_owner = false;     // chown downloads (as root, like tar --same-owner)
  std::function<void(const SyncProgress&)> on_progress;
  // Each action that changes something, as planned (for --dry-run), and each
  // key that failed.
  std::function<void(const plan::Action&)> on_plan;
};

struct Tally {
  uint64_t objects = 0;
  uint64_t bytes = 0;
};

struct SyncReport {
  std::map<std::string, Tally> actions;  // "upload", "download", "skip: unchanged", ...
  std::vector<std::pair<std::string, std::string>> errors;  // key, message
  uint64_t source_objects = 0;
  uint64_t destination_objects = 0;
  double seconds = 0;
  bool ok() const { return errors.empty(); }
};

// Runs one sync. A non-OK Status means the sync could not run at all (a
// listing failed, the bucket cannot be created); per-key failures are in the
// report's errors instead, and the others still complete.
StatusOr<SyncReport> RunSync(const Location& src, const Location& dst, const SyncOptions& options);

}  // namespace gwsync::sync
