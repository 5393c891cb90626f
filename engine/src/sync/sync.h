// Sync makes a destination (a local folder, or a bucket and prefix) match a
// source, as a stream: both sides are listed in key order while the plan
// node of a TBB flow graph merges them (sync/merge.h) and feeds each action
// that moves data on through the graph,
//
//   prepare (hash where needed) -> transfer (async, over the curl event
//   loop) -> commit (verify, rename, index, report)
//
// with at most `concurrency` actions in flight. Deletes are written to a
// spool file as they are planned and carried out last, only when nothing
// went wrong (docs/DESIGN.md, "Deletes"). Nothing held grows with the number
// of keys. RunSync blocks its caller, whose thread runs the graph;
// callbacks come from it (the plan and commit nodes), never two at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gwsync/sync.h"
#include "index/index.h"
#include "plan/plan.h"
#include "s3/client.h"
#include "sides/key_range.h"
#include "sync/delete_limit.h"
#include "transfer/object_transfer.h"

namespace gwsync::sync {

class FileSystem;

struct Location {
  enum class Kind { kLocal, kRemote };
  Kind kind = Kind::kLocal;
  std::string path;                    // local: the root folder
  const s3::Client* client = nullptr;  // remote
  std::string bucket;
  std::string prefix;  // "" or ending in '/'
  // Names the cluster and user in the index ("http://host:port access-key").
  std::string remote_id;
  // The remotes file's name of the cluster ("" for the default one, s3://).
  std::string remote_name;

  std::string ToString() const;
  // `key` (relative to the prefix; "" for the side itself) as a user names
  // it: "s3://b/prefix/key", "REMOTE:b/prefix/key" or "/folder/key".
  std::string Name(std::string_view key = {}) const;
};

using gwsync::SyncProgress;

// The run manifest written after a sync (session/run_manifest.h).
struct ManifestOptions {
  bool folder = true;   // into a folder destination's .gwsync/
  bool bucket = false;  // into a bucket destination's .gwsync/ (--manifest-bucket)
  std::string path;     // --manifest PATH: there instead, for either kind
  bool sha256 = false;  // read every file for its SHA-256 (--manifest-sha256)
  // A share of a sharded sync ("share-I-of-N"): its manifest holds only the
  // share's keys (SyncOptions::range), is named with it, and leaves
  // manifest-latest alone; `report merge` joins the shares' manifests once
  // every share is in (JoinShareManifests).
  std::string share;
  // A folder destination keeps the run manifests of this many runs in its
  // .gwsync/ (session/manifest_retention.h), the one manifest-latest names
  // always; 0 keeps every one.
  int keep = 30;
};

// One change to a bucket, as a change feed reports it.
struct Change {
  std::string key;       // the object's whole key in the bucket
  bool removed = false;  // ObjectRemoved:*; else created or overwritten
  uint64_t size = 0;     // created: as the event says
  std::string etag;      // created: as the event says, as a listing gives it (no quotes)
  uint64_t token = 0;    // the source's own: handed back in Finished
};

// Where a sync from a bucket to a folder takes its work instead of listing
// both sides (a change feed). Each change is planned as a listing's key
// would be: against the local file as it is now and the index.
class ChangeSource {
 public:
  virtual ~ChangeSource() = default;
  // The next change to apply; false once there is none left for this run
  // (the batch is drained, or the run stops). Called on one thread; may block.
  virtual bool Next(Change* c) = 0;
  // Once the change's outcome is final and, when it changed something, in
  // the index: ok when applied, already in sync, gone since, or outside the
  // sync's prefix, range or filters; false when it failed or a guard
  // refused it (it must come again). Once per token, from any of the
  // pipeline's threads, never two at once.
  virtual void Finished(uint64_t token, bool ok) = 0;
  // The bucket's own count of its objects (RGW's X-RGW-Object-Count), for a
  // --max-delete percentage: the folder held these and the deletes. 0:
  // unknown, and a percentage is then measured against the deletes alone.
  virtual uint64_t ObjectCount() { return 0; }
};

struct SyncOptions {
  // Set: the work comes from this feed instead of the listings (a bucket to
  // a folder only); deletes still need delete_extra and pass its guards.
  ChangeSource* changes = nullptr;
  bool delete_extra = false;
  // --delete guards: refused when the source lists nothing, or beyond
  // max_delete (sync/delete_limit.h); only force_delete lifts them.
  DeleteLimit max_delete;
  bool force_delete = false;
  bool dry_run = false;
  bool checksum = false;
  // A copy whose content cannot be proven (transfer/etag.h: unverifiable)
  // fails instead of being kept and counted as unverified.
  bool require_verified = false;
  plan::Filter filter;
  // One share of the keys (`--shard`): both sides list only these, so
  // deletes too stay inside it.
  sides::KeyRange range;
  int concurrency = 32;  // objects in flight
  transfer::TransferOptions transfer;
  index::Index* index = nullptr;  // null: --no-index
  bool create_bucket = true;      // a missing destination bucket is created
  // A whole bucket's backup saves its settings (session/bucket_settings.h); a
  // restore that creates the bucket applies them (Session, not RunSync).
  bool bucket_settings = true;
  // A restore into a bucket that exists applies them too (else it says,
  // once, that it did not).
  bool apply_settings_to_existing = false;
  // A bucket's metadata is not trusted beyond the permission bits (0777),
  // and those are masked by the umask as a new file's are, unless
  // preserve_modes (--preserve-modes: exactly as recorded); the owner is
  // restored only with restore_owner (--preserve-owner, as root),
  // setuid/setgid/sticky only with preserve_special_bits (which implies
  // exact modes).
  bool restore_owner = false;
  bool preserve_modes = false;
  bool preserve_special_bits = false;
  // A local source's symbolic links: noticed and skipped, or followed.
  bool copy_links = false;
  // --links: a local link is stored as the object NAME.rclonelink holding
  // its target (rclone's convention) and such objects come down as links.
  bool store_links = false;
  // Uploads: empty local folders become "dir/" marker objects (markers
  // always become folders on download).
  bool create_empty_dirs = false;
  // --all-versions (session/versions.h): a backup keeps every version and
  // delete marker of the bucket, a restore replays them. Session only:
  // RunSync itself syncs the current versions.
  bool all_versions = false;
  std::function<void(const SyncProgress&)> on_progress;
  // Each action that changes something, as planned (for --dry-run), and each
  // key that failed.
  std::function<void(const plan::Action&)> on_plan;
  // Set (by a signal, gwsync/interrupt.h): start nothing more, let what is in
  // flight end, delete nothing. Null: never.
  const std::atomic<bool>* stop = nullptr;
  ManifestOptions manifest;
  // The local file operations the sync decides on (sync/file_system.h);
  // null: the system's. Tests pass one that injects faults.
  FileSystem* file_system = nullptr;
};

// What a sync did (gwsync/sync.h: the library's, the same type).
using gwsync::SyncReport;
using gwsync::Tally;

// gwsync/sync.h: how long an unfinished upload of gwsync's may wait.
using gwsync::kAbandonedAfter;

// Runs one sync. A non-OK Status means the sync could not run at all (a
// side's root cannot be listed, the bucket cannot be created); per-key
// failures and listing problems on the way are in the report's errors
// instead, and the others still complete.
StatusOr<SyncReport> RunSync(const Location& src, const Location& dst, const SyncOptions& options);

}  // namespace gwsync::sync
