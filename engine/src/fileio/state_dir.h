#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fileio/files.h"
#include "gwsync/status.h"

namespace gwsync::fileio {

// A folder of gwsync's own beneath a destination (".gwsync", or
// ".gwsync/bucket"), opened one component at a time from the root's handle
// with O_NOFOLLOW: a symbolic link planted anywhere on the way (by a user, or
// by another tool writing a bucket's `.gwsync.rclonelink` as a link) is
// refused by name, never followed, so nothing gwsync writes of its own lands
// outside the folder it was given. Each folder is 0700 and each file 0600,
// whatever the umask: a manifest names every key, the settings hold the
// bucket's policy.
class StateDir {
 public:
  // ROOT/FOLDER (FOLDER relative, '/'-separated). `create` makes what is
  // missing; without it a missing folder is NotFound.
  static StatusOr<StateDir> Open(const std::string& root, std::string_view folder, bool create);

  // For messages.
  const std::string& path() const { return path_; }
  const std::shared_ptr<Fd>& fd() const { return fd_; }

  // A new 0600 file to be named `name` here on Commit.
  StatusOr<std::unique_ptr<TempFile>> NewFile(const std::string& name) const;
  // `body` as `name`, atomically (fsynced, then renamed).
  Status WriteFile(const std::string& name, std::string_view body) const;
  // The regular file `name` (not through a link), at most `limit` bytes;
  // NotFound when absent.
  StatusOr<std::string> ReadFile(const std::string& name, size_t limit) const;
  // The names of the regular files here (not links, not folders).
  StatusOr<std::vector<std::string>> ListFiles() const;
  // Removes the file `name` if it is there (a link itself, never what it
  // points to); whether it was removed.
  bool Remove(const std::string& name) const;

 private:
  StateDir(std::shared_ptr<Fd> fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  std::shared_ptr<Fd> fd_;
  std::string path_;
};

}  // namespace gwsync::fileio
