// The --json reports of a sharded sync (`gwsync sync --shard I/N --json`)
// added up into one: what `gwsync report merge` does. The merged report says
// whether the shares cover the whole (every share 0..N-1 present, none
// failed, of the same sync, each starting where the one before it ends), and
// once they do, the manifests the shares wrote into a folder are joined into
// the whole's. Blocking file I/O on the caller's thread; safe from any
// thread for different files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gwsync/status.h"

namespace gwsync {

struct MergedReport {
  // The merged --json report (docs/reference/json-report.md), indented by
  // two, ending in a newline; bytes that are not UTF-8 replaced.
  std::string json;
  // Why it is not complete (a share missing, failed, or not meeting the one
  // before it; a manifest that could not be joined), one line each.
  std::vector<std::string> problems;
  // What was left undone and why, one line each: the shares' manifests are
  // in the bucket, one per share, and are not joined.
  std::vector<std::string> notices;
  std::vector<std::string> manifests;  // the whole's manifest, once joined
  int count = 0;                       // the shares the sync was split into
  size_t reported = 0;                 // the shares with a report
  uint64_t source_objects = 0;         // over the shares reported
  uint64_t error_count = 0;
  bool complete() const { return problems.empty(); }
};

// Reads and merges the reports in `files` (the shares' --json reports, in
// any order; a share given twice is taken from the later file, a re-run
// after a failure). When they are complete and each share's manifest is in
// a folder, joins those manifests into one beside the first share's and
// points manifest-latest at it. NotFound for a file that cannot be read; a
// file that is empty or not a report is a problem of the result.
StatusOr<MergedReport> MergeShareReports(const std::vector<std::string>& files);

// Joins the manifests the shares of one sharded sync wrote into a folder
// (`paths`, in share order) into one manifest of the whole beside the first,
// and points manifest-latest at it; returns its path. Manifests of another
// sync, or whose keys overlap, are refused.
StatusOr<std::string> JoinShareManifests(const std::vector<std::string>& paths);

}  // namespace gwsync
