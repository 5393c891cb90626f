// Walks a local folder tree and reports its regular files in S3 key byte
// order, so a listing of the folder can be merge-joined with a bucket listing
// without sorting everything: siblings are sorted with a folder "a" compared
// as "a/" (thus "a-b" < "a/b", as S3 orders keys). Runs on the caller's
// thread; one walk per call, any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "gwsync/status.h"

namespace gwsync::scan {

struct LocalEntry {
  std::string key;  // relative path, '/'-separated, no leading '/'
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // nanoseconds since the epoch
  uint64_t inode = 0;
  uint32_t mode = 0;  // st_mode permission bits (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  // Links::kStore: a symbolic link, keyed NAME.rclonelink, `size` the
  // length of its target.
  bool link = false;
};

// rclone's convention for a link stored as an object (`rclone --links`):
// the object NAME.rclonelink holds the link's target.
inline constexpr std::string_view kLinkSuffix = ".rclonelink";

// What a symbolic link inside the tree becomes.
enum class Links {
  kSkip,    // reported through on_skip (a notice), not followed
  kFollow,  // followed to its file or folder (loops detected and skipped)
  kStore,   // listed as an entry of its own (LocalEntry::link), not followed
};

struct WalkOptions {
  Links links = Links::kSkip;
  // Emits each empty folder below the root as an entry "dir/" of size 0.
  bool empty_dirs = false;
  // A path that cannot be read (permission denied, vanished, a socket ...):
  // reported here and skipped; the walk goes on.
  std::function<void(const std::string& path, const Status& why)> on_skip;
  // Only keys starting with this prefix (relative, may be empty).
  std::string prefix;
  // Deletes temporary files no live gwsync holds (fileio::RemoveIfStale).
  bool remove_stale_temps = false;
  int stale_seconds = 2;
  // The root, already open (a sync's source: the walk and the reads then
  // see one tree, whatever happens to its path); -1: opened here.
  int root_fd = -1;
};

// Calls `emit` for every regular file under `root`, in byte order of keys.
// Symbolic links below `root` are reported and skipped, or with
// Links::kFollow followed to regular files or folders (loops are detected
// and skipped); `root` itself may be a link. Each folder is opened beneath
// the root with no link on its way (fileio/beneath.h), and only while it is
// still the folder its parent listed: one swapped for a link or another
// folder since is reported and not walked. gwsync's own temporary files
// (".NAME.gwsync-XXXXXX" that fileio::IsOwnTemp proves gwsync's) and the reserved ".gwsync" folder
// at the root (run manifests, bucket settings) are skipped. Stops at the first non-OK from `emit`.
// NotFound when `root` does not exist, InvalidArgument when it is not a folder.
Status WalkLocal(const std::string& root, const WalkOptions& options,
                 const std::function<Status(LocalEntry)>& emit);

}  // namespace gwsync::scan
