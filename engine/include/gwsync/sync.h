// Running a sync from a program: what `gwsync sync SRC DST` does, with the
// same rules (docs/sync-rules.md), the same index, the same run manifest and
// the same verdict on every object, without the command line. See
// docs/library.md and examples/backup.cc.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gwsync/gateway.h"
#include "gwsync/status.h"

namespace gwsync {

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

// An unfinished multipart upload of gwsync's that no run has resumed for
// this long is abandoned: the next complete run to its bucket aborts it, so
// its parts stop taking the gateway's space (SyncReport::uploads_aborted).
// Partial downloads have the same rule.
inline constexpr std::chrono::hours kAbandonedAfter{7 * 24};

// A sync as `gwsync sync SRC DST` runs it: each field is the flag of the
// same name (docs/reference/flags.md), as text where the flag takes text.
struct SyncRequest {
  // Each a folder, s3://BUCKET[/PREFIX] (s3:// alone: every bucket, into or
  // from a folder of buckets) or REMOTE:BUCKET[/PREFIX] (remotes_file). A
  // trailing slash on a folder source means its contents, as with `gwsync
  // sync`.
  std::string source;
  std::string destination;
  bool delete_extra = false;       // remove what the source does not hold (--delete)
  std::string max_delete = "50%";  // --max-delete: N objects or P% of the destination's
  bool force_delete = false;       // --force-delete
  bool dry_run = false;            // plan and report, change nothing
  bool checksum = false;           // compare content where sizes agree (--checksum)
  bool require_verified = false;   // --require-verified
  // Key patterns (`*`, `**`, `?`), as --exclude and --include: excludes
  // first, then includes.
  std::vector<std::string> exclude;
  std::vector<std::string> include;
  bool use_index = true;         // false: compare content where sizes agree (--no-index)
  std::string index_dir;         // "": ~/.cache/gwsync/index
  bool run_manifest = true;      // write the run manifest into a destination folder's .gwsync/
  bool manifest_bucket = false;  // --manifest-bucket
  std::string manifest_path;     // --manifest FILE
  bool manifest_sha256 = false;  // --manifest-sha256
  int keep_manifests = 30;       // --keep-manifests
  bool bucket_settings = true;   // false: --no-bucket-settings
  bool apply_bucket_settings = false;
  bool preserve_owner = false;  // as root only
  bool preserve_modes = false;
  bool preserve_special_bits = false;
  bool copy_links = false;   // -L
  bool store_links = false;  // -l
  bool create_empty_dirs = false;
  bool all_versions = false;
  std::string remotes_file;  // "": ~/.config/gwsync/remotes.conf, when there is one
  double wait_lock = 0;      // seconds to wait for another run of the pair
  std::string shard;         // --shard I/N or "auto"; "": the whole
  std::string shard_plan;    // --shard-plan FILE

  // The change feed (--changes and the flags that go with it); unset
  // optionals are flags not given.
  struct Feed {
    std::string changes;  // amqp://HOST[:PORT][/VHOST]?queue=Q; "": list instead
    std::string credentials_file;
    std::string reconcile_every = "7d";
    bool follow = false;
    std::optional<std::string> heartbeat_every;  // default 1h
    std::optional<int> batch;                    // default 1000
    // --follow: each batch applied, what the feed says, and after each batch
    // and each proof of the feed (`proven`: nothing given back since).
    std::function<void(const SyncReport& batch)> on_batch;
    std::function<void(const std::string& notice)> on_notice;
    std::function<void(const SyncReport& batch, const SyncReport& total, bool proven)> on_progress;
  } feed;

  // As it runs: how far it is (several times a second at most), and with
  // dry_run each action planned ("upload", "delete", ...) with its key.
  std::function<void(const SyncProgress&)> on_progress;
  std::function<void(std::string_view action, std::string_view key)> on_planned;
  // Set (by a signal): start nothing more, let what is in flight end,
  // delete nothing. Null: never.
  const std::atomic<bool>* stop = nullptr;
};

// The share of the keys a run with `shard` took: after `after` (none: from
// the start) through `through` (none: to the end), keys as printed (bytes
// that are not UTF-8 escaped), and where the split points came from.
struct SyncShare {
  int index = 0;
  int count = 1;
  std::optional<std::string> after, through;
  std::string bounds_from;
  std::optional<uint64_t> planned_keys, planned_bytes;
};

// N shares of a sync's keys (`gwsync shard-plan`): the split points as a
// plan file holds them, and per share what it is planned to hold.
struct SharePlan {
  int count = 0;
  std::string json;                                        // the plan file's text
  std::vector<std::optional<std::string>> after, through;  // per share, as SyncShare
  std::vector<uint64_t> keys, bytes;                       // empty without counts (quick)
};

// The sides of syncs, resolved once: the default cluster from the gateway
// options, the remotes file's clusters (each built when a side needs it),
// and their gateways' figures. Used from one thread.
class SyncSession {
 public:
  // NotFound or InvalidArgument for a remotes file named and missing or
  // malformed. The default cluster's own problems (no credentials) are
  // said only when a side needs it.
  static StatusOr<std::unique_ptr<SyncSession>> Open(const GatewayOptions& gateway,
                                                     const std::string& remotes_file = "");
  ~SyncSession();
  SyncSession(const SyncSession&) = delete;
  SyncSession& operator=(const SyncSession&) = delete;

  // Runs the sync to its end. Not OK when it could not start (bad sides or
  // flags: InvalidArgument; a source that cannot be listed; another run of
  // the same pair past --wait-lock: kAborted); failures of single objects
  // are in the report.
  StatusOr<SyncReport> Run(const SyncRequest& request);
  // The share the last Run took, when it had `shard`.
  const std::optional<SyncShare>& share() const;
  // The --json report of the last Run (docs/reference/json-report.md),
  // with `exit_code`, indented by two.
  std::string ReportJson(const SyncReport& report, const SyncRequest& request, int exit_code) const;
  // Split points for `n` shares of source -> destination: from one full
  // listing, or with `quick` a few delimiter listings.
  StatusOr<SharePlan> PlanShares(const std::string& source, const std::string& destination, int n,
                                 bool quick);
  // A hint when SRC names a folder without a trailing slash where s3cmd and
  // rsync would put the folder itself under DST; "" when there is none.
  std::string FolderNameHint(const std::string& source, const std::string& destination) const;
  // Per cluster, per gateway, so far.
  ClusterStats Stats() const;

 private:
  struct Impl;
  explicit SyncSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Runs one sync to its end in a session of its own (SyncSession); the
// engine's own threads do the transfers. Not
// OK when it could not start (no credentials, a folder or bucket that does
// not exist or cannot be listed, another run of the same pair under way:
// kAborted); failures of single objects are in the report instead.
StatusOr<SyncReport> Sync(const GatewayOptions& gateway, const SyncRequest& request);

}  // namespace gwsync
