// Writes and deletes under a destination folder that never leave it: every
// folder below the root is opened with O_NOFOLLOW | O_DIRECTORY, one
// component at a time from the root's descriptor, so a symbolic link inside
// the destination (`dest/lnkdir -> /elsewhere`) is refused instead of being
// written or deleted through. The root itself is the user's choice and may
// be a link. Stateless functions; any thread.
#pragma once

#include <sys/types.h>

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "fileio/files.h"
#include "gwsync/status.h"

namespace gwsync::fileio {

// The folder that holds `key` under `root`, open, and the key's last name.
struct DestEntry {
  std::shared_ptr<Fd> dir;
  std::string name;  // the last segment of the key
  std::string path;  // root/key, for messages
};

// Opens the parent folder of `key` (a relative, '/'-separated key whose
// segments are neither empty, "." nor "..") under `root`. With `create`,
// missing folders are made with `folder_mode` (less the umask). A segment
// that is a symbolic link or not a folder fails with FailedPrecondition and
// says so; a missing one without `create`, NotFound.
StatusOr<DestEntry> OpenDestParent(const std::string& root, std::string_view key, bool create,
                                   mode_t folder_mode = 0777);

// A temporary file (TempFile, 0600) for `key` in its folder under `root`,
// the folders made as needed; committed, it takes the key's name there.
StatusOr<std::unique_ptr<TempFile>> CreateDestTemp(const std::string& root, std::string_view key);

// The same for many keys under one root, keeping the folders it opened: a
// tree written in key order opens each folder once, where CreateDestTemp
// opens the root and every folder on the way for each file (a registry's
// blobs/sha256/ab/HASH/data is six openat and six close per file). Holds at
// most `capacity` descriptors, the most recently used. A folder replaced
// after it was opened (by a link, say) keeps receiving files through the
// held descriptor: into the folder that was checked, never through the
// link. A folder removed meanwhile is opened again. Thread-safe.
class DestFolders {
 public:
  explicit DestFolders(std::string root, size_t capacity = 16)
      : root_(std::move(root)), capacity_(capacity) {}
  StatusOr<std::unique_ptr<TempFile>> CreateTemp(std::string_view key);

 private:
  StatusOr<std::shared_ptr<Fd>> Folder(std::string_view dir_key);
  void Forget();

  std::mutex mu_;
  const std::string root_;
  const size_t capacity_;
  // Folder keys ("" for the root) and their descriptors, most recent first;
  // guarded by mu_.
  std::list<std::pair<std::string, std::shared_ptr<Fd>>> open_;
};

// Makes the folder `dir_key` ("a/b" or "a/b/") and its parents under `root`.
Status MakeDestFolders(const std::string& root, std::string_view dir_key,
                       mode_t folder_mode = 0777);

// Makes `key` under `root` a symbolic link to `target` (made beside it and
// renamed over whatever the name held, never through a link on the way).
Status PlaceDestLink(const std::string& root, std::string_view key, const std::string& target);

// Removes `key` under `root` if it is a symbolic link (the link, not its
// target); anything else, or nothing, is left alone.
Status RemoveDestLink(const std::string& root, std::string_view key);

// Removes the file `key` under `root`, never through a link: a missing file
// (or a missing folder on its way) is not an error.
Status RemoveDestFile(const std::string& root, std::string_view key);

}  // namespace gwsync::fileio
