// A sync as the user names it: "SRC DST" where each side is a folder,
// s3://BUCKET[/PREFIX], s3:// (every bucket), or REMOTE:BUCKET[/PREFIX] for a
// cluster of the remotes file. A Session resolves the sides, builds one
// client (and curl loop) per cluster it needs, runs one sync per bucket and
// adds up the reports. Used from one thread (the caller's).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "http/event_loop.h"
#include "s3/client.h"
#include "session/pair_lock.h"
#include "session/shard_plan.h"
#include "session/sync_names.h"

namespace gwsync::session {

// A cluster of the remotes file: its gateways and keys.
using RemoteCluster = config::RemoteConfig;

// One side as typed.
struct SideSpec {
  bool remote = false;
  std::string path;            // local
  std::string remote_name;     // "" for the default cluster
  std::string bucket, prefix;  // bucket "" = every bucket; prefix "" or ending in '/'
};

// InvalidArgument naming the problem (a malformed URL, an unknown remote).
StatusOr<SideSpec> ParseSideSpec(const std::string& arg,
                                 const std::map<std::string, RemoteCluster>& remotes);

// How long a cluster's requests still in flight at the end (an upload's
// abort, sent and not awaited) may take before they are cancelled.
inline constexpr std::chrono::milliseconds kShutdownGrace{2000};

// How to reach the default cluster (from flags, the environment, ~/.s3cfg).
struct ClusterOptions {
  s3::ClientOptions client;
  http::TransportOptions transport;
};

// Where the index lives: a folder with one RocksDB database per pair of
// sides (named by a hash of the two), so syncs of different pairs run at
// once (db_wal and registry, nightly, in parallel) without sharing a lock.
struct IndexOptions {
  bool enabled = true;
  std::string dir;  // "": index::Index::DefaultPath()
};

class Session {
 public:
  // `default_cluster` may be an error (no credentials, say): it is reported
  // only if a side needs the default cluster.
  Session(StatusOr<ClusterOptions> default_cluster, std::map<std::string, RemoteCluster> remotes,
          IndexOptions index = {});
  ~Session();
  // Where the index lives (before Run).
  void SetIndexOptions(IndexOptions index);
  // Where the pairs' locks live and how long a run waits for another run of
  // its pair (before Run). Run returns kAborted when the other run holds it
  // past the wait; an every-bucket run reports such a bucket and goes on.
  void SetLockOptions(LockOptions lock) { lock_ = std::move(lock); }
  // How each pair's sync is run, once its lock is held and its index open:
  // `once` is RunSync of the pair; a driver (sync --changes: the change
  // feed, feed/feed_run.h) may call it several times. Null: once.
  using RunOnce = std::function<StatusOr<SyncReport>(const SyncOptions&)>;
  using PairDriver = std::function<StatusOr<SyncReport>(
      const Location& src, const Location& dst, const SyncOptions& options, const RunOnce& once)>;
  void SetPairDriver(PairDriver driver) { driver_ = std::move(driver); }

  // Runs `src` -> `dst`. Non-OK when the sync could not start (bad sides, a
  // source that cannot be listed); per-key failures are in the report.
  // Every-bucket syncs report a bucket that fails and go on with the others.
  StatusOr<SyncReport> Run(const std::string& src, const std::string& dst,
                           const SyncOptions& options);

  // Split points for `n` shares of `src` -> `dst` (one bucket, not every
  // bucket): from one full listing of the source with `full`, otherwise
  // from a few delimiter listings of a source bucket. A local source is
  // walked whole either way: that sends no request.
  StatusOr<ShardPlan> PlanShares(const std::string& src, const std::string& dst, int n, bool full);

  // Per cluster ("default" or the remote's name), per gateway, so far.
  std::vector<std::pair<std::string, std::vector<gateway::EndpointStats>>> Stats() const;

  // The client of a cluster ("" the default), built on first use; for the
  // commands that read a side without syncing (verify, du).
  StatusOr<const s3::Client*> ClientFor(const std::string& remote_name);
  const std::map<std::string, RemoteCluster>& remotes() const { return remotes_; }

 private:
  struct Cluster;
  StatusOr<Location> Locate(const SideSpec& side, const std::string& bucket,
                            const std::string& subdir);
  // RunSync with the bucket's settings saved (a backup) or applied (a
  // restore that creates the bucket).
  StatusOr<SyncReport> RunBucket(const Location& src, const Location& dst,
                                 const SyncOptions& options);
  Status RunEveryBucket(const SideSpec& src, const SideSpec& dst, const SyncOptions& options,
                        SyncReport* total);
  // One pair: its index opened for the run (or none, with a notice, when it
  // cannot be: the index is only a cache), then the sync.
  StatusOr<SyncReport> RunPair(const Location& src, const Location& dst, SyncOptions options);
  void AddManifest(const Location& src, const Location& dst, const SyncOptions& options,
                   uint64_t errors, SyncReport* total);

  StatusOr<ClusterOptions> default_cluster_;
  std::map<std::string, RemoteCluster> remotes_;
  IndexOptions index_;
  LockOptions lock_;
  PairDriver driver_;
  std::map<std::string, std::unique_ptr<Cluster>> clusters_;
};

// The folder of a pair's index database under `dir`: a hash of both sides.
std::string PairIndexPath(const std::string& dir, const Location& src, const Location& dst);

// The report as the --json document (schema in docs/reference/json-report.md).
nlohmann::json ReportJson(const SyncReport& report, const std::string& src, const std::string& dst,
                          bool dry_run, const Session* session);

}  // namespace gwsync::session
