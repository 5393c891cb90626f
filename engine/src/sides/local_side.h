// A local folder tree as a sync's side: its regular files streamed in S3 key
// byte order by a walker thread of its own, through a queue of a few
// batches. Unreadable folders and files, special files and links that lead
// nowhere are reported in-band (scan::WalkLocal's on_skip).
#pragma once

#include <memory>
#include <string>

#include "fileio/files.h"
#include "plan/plan.h"
#include "scan/local_walker.h"
#include "sides/key_range.h"
#include "sides/stream.h"

namespace gwsync::sides {

struct LocalListOptions {
  plan::Filter filter;
  bool missing_ok = false;   // a folder that does not exist is empty (a destination)
  bool clean_temps = false;  // remove temporary files that killed runs left
  // Links inside the tree: noticed and skipped, or followed (--copy-links).
  // A destination's are never followed.
  scan::Links links = scan::Links::kSkip;
  bool empty_dirs = false;  // list empty folders as "dir/" entries
  size_t batch_entries = 1000;
  size_t queued_batches = 4;
  KeyRange range;  // only these keys (the whole tree is still walked)
  // The root, already open (the sync's reads use the same handle); null:
  // opened by the walk.
  std::shared_ptr<fileio::Fd> root;
};

// NotFound when `root` does not exist (unless missing_ok), InvalidArgument
// when it is not a folder, PermissionDenied when it cannot be read: a sync
// that cannot read its root does not start.
StatusOr<std::unique_ptr<EntryStream>> OpenLocalStream(const std::string& root,
                                                       const LocalListOptions& options);

}  // namespace gwsync::sides
