// A sync from a bucket to a folder that takes its work from the bucket's
// change feed (`sync --changes`) instead of listing both sides, and falls
// back to the full listing, saying why, whenever the feed cannot be shown to
// be complete. docs/change-feed.md says how it is used; this is how it is
// built:
//
// Completeness rests on a marker: each run publishes a message of its own
// into the queue (after the events already there) and applies batches up to
// it; the marker stays in the queue, unacknowledged, as the proof for the
// next run, whose own marker must come after it. A queue purged, deleted and
// made again, or emptied by a broker that lost it, has lost the marker too:
// the next run lists everything. So does a first run, a run with no state,
// one whose reconcile time has come, and one after which the index does not
// add up to the bucket's counters (X-RGW-Object-Count, X-RGW-Bytes-Used). A
// message is acknowledged only after its change is final in the index, or
// after a full listing that began after it was queued; a crash gives every
// unacknowledged message (the markers too) back to the queue. A follower
// publishes a new marker every minute something changed and, when nothing
// did, every heartbeat_every; each one that comes back is reported
// (on_progress), and one that does not ends the run with an error.
//
// Runs on the caller's thread (the Session's), blocking.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "feed/broker.h"
#include "sync/sync.h"

namespace gwsync::feed {

// See FeedOptions::on_progress.
using ProgressCallback =
    std::function<void(const sync::SyncReport& batch, const sync::SyncReport& total, bool proven)>;

struct FeedOptions {
  FeedAddress feed;
  BrokerCredentials credentials;
  // A full listing at least this often, whatever the feed says (--reconcile-every).
  std::chrono::seconds reconcile_every{7 * 24 * 3600};
  // Keep consuming and applying as events arrive, until stopped (a signal).
  bool follow = false;
  int batch = 1000;  // messages per batch
  // follow: a batch ends after this long without a message.
  std::chrono::milliseconds idle{1000};
  // follow: a marker at least this often, also when nothing changed, so that
  // its return proves the feed alive and complete (0: only after changes).
  std::chrono::seconds heartbeat_every{3600};
  // The pair's state file ("": FeedStatePath).
  std::string state_path;
  // Each batch's report, once applied and settled (for a log line).
  std::function<void(const sync::SyncReport&)> on_batch;
  // follow: after each applied batch, that batch's report and the run's so
  // far (for the metrics file); and with an empty `batch` each time a marker
  // comes back (the catch-up's, and each one after) with no change given back
  // to the queue since the one before. `proven`: the folder holds everything
  // queued before now (a batch without errors, and no change failed since the
  // last marker, so none waits in the queue), or before the marker.
  ProgressCallback on_progress;
  // Each notice as it is made (a fallback's reason), besides the report's.
  std::function<void(const std::string&)> on_notice;
};

// Runs one sync with the given options (RunSync with the pair's sides).
using RunOnce = std::function<StatusOr<sync::SyncReport>(const sync::SyncOptions&)>;

// Non-OK only when no sync could run at all (as RunSync); the feed's own
// troubles (a broker that cannot be reached, a queue missing) are notices of
// a full listing instead.
StatusOr<sync::SyncReport> RunWithFeed(const sync::Location& src, const sync::Location& dst,
                                       const sync::SyncOptions& options, const FeedOptions& feed,
                                       const RunOnce& once);

// Where a pair keeps its feed state: util::CacheDir()/feeds/PAIR.json.
std::string FeedStatePath(const sync::Location& src, const sync::Location& dst);

// The message type of gwsync's markers (events from RGW have none).
inline constexpr char kMarkerType[] = "gwsync-feed-marker";

}  // namespace gwsync::feed
