// --all-versions: a versioned bucket's whole history in a folder backup, and
// back. A backup keeps each key's current version where a plain backup does
// (the tree, or the key store), every other version in the version store
// (plan::VersionStorePath), with its headers, metadata and tags in the
// file's user.gwsync.headers as the tree's files keep them, and writes a run
// manifest of every version and delete marker, each key's oldest first
// (manifest::Record::version). A restore replays that history into an empty
// bucket it makes versioned: per key, versions uploaded oldest first and
// delete markers made again by a DELETE without a version ID, so the new
// bucket lists the same history under new version IDs.
//
// Memory: one key's versions (and, for a backup, a batch of about a
// thousand versions being fetched). Blocking; from the caller's thread.
#pragma once

#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "session/sync_names.h"

namespace gwsync::session {

// After the ordinary sync of `src` (a bucket) into `dst` (a folder), with
// the pair's index still open in options.index: fetches the versions the
// tree does not hold into the version store and writes the run manifest of
// the whole history; returns its path. Versions that cannot be fetched are
// errors in `report` and are left out of the manifest; a listing that fails
// is the returned error (no manifest then).
StatusOr<std::string> BackupVersions(const Location& src, const Location& dst,
                                     const SyncOptions& options, SyncReport* report);

// Replays the all-versions backup in folder `src` into the bucket `dst`
// (created when it does not exist; refused unless it holds no version
// under the prefix; made versioned, or refused when that fails), then
// applies the saved bucket settings as a plain restore would.
StatusOr<SyncReport> RestoreVersions(const Location& src, const Location& dst,
                                     const SyncOptions& options);

// One key's records as a restore replays them: checked (one key, versions
// ascending, at most one latest and it the newest) and in replay order.
// InvalidArgument saying what is wrong with a history that cannot be
// replayed as recorded.
Status CheckReplayOrder(const std::vector<manifest::Record>& key_history);

}  // namespace gwsync::session
