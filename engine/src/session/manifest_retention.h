// Which run manifests a folder backup keeps in its .gwsync/: those of the
// `keep` newest runs and the one manifest-latest names; the others are
// removed after a run's manifest is written, so that nightly backups do not
// pile up a manifest a night for ever. Used from the caller's thread.
#pragma once

#include <string>
#include <vector>

#include "session/sync_names.h"

namespace gwsync::session {

// Of `files` (the names of a state folder's regular files), the run
// manifests to remove. A run is a whole manifest, "manifest-RUN.jsonl.zst"
// (RUN its UTC time, "20261128T100000.123Z", so names sort as runs do);
// the newest `keep` are kept, and `latest` (manifest-latest's content) is
// kept whatever its age. A share's "manifest-RUN-share-I-of-N.jsonl.zst"
// belongs to the first whole run from its time on (the `report merge` that
// joined it) and goes with it; a share no whole run follows yet (it may be
// waiting for `report merge`) is kept. Any other name is left alone, and
// `keep` <= 0 keeps everything.
std::vector<std::string> ManifestsToRemove(const std::vector<std::string>& files,
                                           const std::string& latest, int keep);

// Applies ManifestsToRemove to `dst`'s .gwsync/ through its no-follow handle
// (fileio/state_dir.h), after a run's manifest was written there: the
// count goes to `report->manifests_removed`, a problem to a notice (the
// backup itself is sound).
void PruneRunManifests(const Location& dst, const ManifestOptions& options, SyncReport* report);

}  // namespace gwsync::session
