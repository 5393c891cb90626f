// Running a sync from a program: what `gwsync sync SRC DST` does, with the
// same rules (docs/sync-rules.md), the same index, the same run manifest and
// the same verdict on every object, without the command line. See
// docs/library.md and examples/backup.cc.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gwsync/gateway.h"
#include "gwsync/status.h"

namespace gwsync {

struct SyncRequest {
  // Each a folder, or s3://BUCKET[/PREFIX] (s3:// alone: every bucket, into
  // or from a folder of buckets). A trailing slash on a folder source means
  // its contents, as with `gwsync sync`.
  std::string source;
  std::string destination;
  bool delete_extra = false;  // remove what the source does not hold (--delete)
  bool dry_run = false;       // plan and report, change nothing
  bool checksum = false;      // compare content where sizes agree (--checksum)
  // Key patterns (`*`, `**`, `?`), as --exclude and --include: excludes
  // first, then includes.
  std::vector<std::string> exclude;
  std::vector<std::string> include;
  bool use_index = true;     // false: compare content where sizes agree (--no-index)
  std::string index_dir;     // "": ~/.cache/gwsync/index
  bool run_manifest = true;  // write the run manifest into a destination folder's .gwsync/
};

struct Tally {
  uint64_t objects = 0;
  uint64_t bytes = 0;
};

// How far a sync is, as it runs (for a progress line).
struct SyncProgress {
  uint64_t listed_source = 0;  // keys listed so far on each side
  uint64_t listed_destination = 0;
  bool listing_done = false;     // the totals below are final
  uint64_t planned_objects = 0;  // actions that move or delete data
  uint64_t planned_bytes = 0;
  uint64_t done_objects = 0;
  uint64_t done_bytes = 0;
  uint64_t errors = 0;
  double seconds = 0;
};

// What a sync did. Errors, notices and unverified copies are kept with where
// they happened, as a user names it: an object by its key in the bucket it
// is in ("s3://b/k", the source's from bucket to bucket), or in the folder a
// delete removes it from; a file or folder a listing could not read by its
// path; a bucket, or the pair itself, by the bucket ("s3://b").
struct SyncReport {
  // At most this many errors are kept by name; error_count has them all.
  static constexpr size_t kMaxErrorsKept = 10000;
  std::map<std::string, Tally> actions;  // "upload", "download", "skip: unchanged", ...
  std::vector<std::pair<std::string, std::string>> errors;  // where, message
  uint64_t error_count = 0;
  // Reported, not failures: special files, links that lead nowhere.
  std::vector<std::pair<std::string, std::string>> notices;  // where, message
  uint64_t notice_count = 0;
  // Copies kept though their content could not be proven (no part size
  // reproduces a multipart ETag, or an ETag of no known form): key, why.
  // The index does not take them as in sync, so the next run checks them
  // again; --require-verified makes them errors instead.
  std::vector<std::pair<std::string, std::string>> unverified;
  uint64_t unverified_count = 0;
  // Source keys a folder holds in its key store (.gwsync/keys/): a backup's
  // keys that are not files of their own name, or a restore's.
  uint64_t key_store_count = 0;
  // Source keys with the names of gwsync's bucket manifests (a chain of
  // --manifest-bucket backups): the manifest is then not written there.
  uint64_t manifest_names_in_source = 0;
  // Stopped (a signal): what was in flight finished, nothing new started,
  // no delete was made, no manifest written.
  bool interrupted = false;
  uint64_t deletes_refused = 0;  // planned deletes not carried out; why (counts as an error):
  std::vector<std::string> delete_refusals;
  uint64_t source_objects = 0;
  uint64_t destination_objects = 0;
  double seconds = 0;
  std::vector<std::string> manifests;  // run manifests written after the run
  uint64_t manifests_removed = 0;      // older run manifests removed (--keep-manifests)
  // gwsync's own multipart uploads to the destination that no run had
  // touched for a week, aborted at the end of a complete run.
  uint64_t uploads_aborted = 0;
  bool ok() const { return error_count == 0; }
  // How the run ends (docs/reference/exit-codes.md): 0 done; 1 failed,
  // nothing done (every object it had to copy failed); 3 partial: some
  // objects failed or deletes were refused, the rest is in sync. A stop by a
  // signal is the caller's to add (128 + N).
  static constexpr int kExitPartial = 3;
  int ExitCode() const;
  void AddError(std::string key, std::string message);
  void AddNotice(std::string key, std::string message);
  void AddUnverified(std::string key, std::string why);
  // Adds `other`'s counts and entries (named already); its delete refusals
  // are said to be of `bucket`, when one is given.
  void Add(const SyncReport& other, const std::string& bucket);
};

// Runs one sync to its end; the engine's own threads do the transfers. Not
// OK when it could not start (no credentials, a folder or bucket that does
// not exist or cannot be listed, another run of the same pair under way:
// kAborted); failures of single objects are in the summary instead.
StatusOr<SyncReport> Sync(const GatewayOptions& gateway, const SyncRequest& request);

}  // namespace gwsync
