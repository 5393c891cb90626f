// The local file operations a sync decides on, behind one seam so tests can
// make them fail or race (RocksDB's FaultInjectionTestFS): a source file
// opened, stat-ed and read by prepare, the stat that tells whether it
// changed while it was sent, a download's attributes set, its temporary file
// renamed into place, a destination file removed. Everything else (the
// walk, the transfers' own reads and writes) uses the system directly.
// Implementations are called from the planner, TBB workers and the commit
// thread at once, so they must be thread-safe.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "gwsync/status.h"
#include "transfer/files.h"

namespace gwsync::sync {

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // open(2) for reading; errors name `path`.
  virtual StatusOr<std::shared_ptr<transfer::Fd>> Open(const std::string& path, int flags);
  virtual Status Fstat(int fd, const std::string& path, struct stat* st);
  // Up to buf.size() bytes at `offset`; fewer only at the end of the file.
  virtual StatusOr<size_t> Pread(int fd, const std::string& path, std::span<char> buf,
                                 uint64_t offset);
  // stat(2), following links as the source walk does.
  virtual Status Stat(const std::string& path, struct stat* st);

  // A downloaded file's attributes, set on its descriptor before it is
  // renamed into place; `path` is the name it will have.
  virtual Status Fchown(int fd, const std::string& path, uid_t uid, gid_t gid);
  virtual Status Fchmod(int fd, const std::string& path, mode_t mode);
  virtual Status Futimens(int fd, const std::string& path, const struct timespec times[2]);
  // Renames the download into place (TempFile::Commit).
  virtual Status Commit(transfer::TempFile& temp);
  // Removes `key` under the destination `root`, never through a link
  // (transfer::RemoveDestFile).
  virtual Status Remove(const std::string& root, std::string_view key);

  // The system's: what a sync uses unless SyncOptions::file_system says otherwise.
  static FileSystem* Default();
};

}  // namespace gwsync::sync
