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

struct SyncSummary {
  struct Tally {
    uint64_t objects = 0;
    uint64_t bytes = 0;
  };
  // Per action: "upload", "download", "copy", "delete", "skip: unchanged", ...
  std::map<std::string, Tally> actions;
  uint64_t errors = 0;      // objects that failed, deletes refused
  uint64_t notices = 0;     // not failures: special files, links that lead nowhere, ...
  uint64_t unverified = 0;  // copied, but their content could not be proven
  // The first errors and notices, each "WHERE: MESSAGE" (WHERE: a key, a
  // path or a bucket); `errors` and `notices` count them all.
  std::vector<std::string> error_messages;
  std::vector<std::string> notice_messages;
  std::vector<std::string> manifests;  // run manifests written
  double seconds = 0;
  // As `gwsync sync` exits: 0 done; 1 failed, nothing done; 3 partial
  // (some objects failed, the rest is in sync).
  int exit_code = 0;
};

// Runs one sync to its end; the engine's own threads do the transfers. Not
// OK when it could not start (no credentials, a folder or bucket that does
// not exist or cannot be listed, another run of the same pair under way:
// kAborted); failures of single objects are in the summary instead.
StatusOr<SyncSummary> Sync(const GatewayOptions& gateway, const SyncRequest& request);

}  // namespace gwsync
