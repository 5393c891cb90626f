// The local file operations a sync decides on, behind one seam so tests can
// make them fail or race (RocksDB's FaultInjectionTestFS): a source file
// opened, stat-ed and read by prepare, the stat that tells whether it
// changed while it was sent, a download's attributes set, its temporary file
// renamed into place, a destination file removed. Everything else (the
// walk, the transfers' own reads and writes) uses the system directly.
// Implementations are called from the graph's thread (plan and commit) and
// TBB workers at once, so they must be thread-safe.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "fileio/files.h"
#include "gwsync/status.h"

namespace gwsync::sync {

// A local side's root folder, opened once: the files of the sync are
// opened beneath this handle, so what happens to the root's path (or to a
// folder inside) while the sync runs cannot lead them elsewhere.
struct LocalRoot {
  std::string path;                // as the user gave it, for messages
  std::shared_ptr<fileio::Fd> fd;  // the folder (O_PATH)
  bool follow_links = false;       // --copy-links: links are followed by design
  std::string PathOf(std::string_view key) const;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Opens the folder `path` (a link there is followed: the root is the
  // user's choice).
  static StatusOr<LocalRoot> OpenRoot(const std::string& path, bool follow_links);

  // Opens `key` beneath `root` for reading, with no symbolic link in any
  // component (fileio/beneath.h) unless root.follow_links, and without
  // blocking: a FIFO opens at once, for the caller to see its type with
  // Fstat before any read. FailedPrecondition when a link is on the way
  // (or `key` is one); errors name root/key.
  virtual StatusOr<std::shared_ptr<fileio::Fd>> Open(const LocalRoot& root, std::string_view key);
  virtual Status Fstat(int fd, const std::string& path, struct stat* st);
  // Up to buf.size() bytes at `offset`; fewer only at the end of the file.
  virtual StatusOr<size_t> Pread(int fd, const std::string& path, std::span<char> buf,
                                 uint64_t offset);
  // `key` beneath `root` as it is now (a link in its last name not
  // followed, unless root.follow_links): whether a file changed while it
  // was sent, and a download as it landed.
  virtual Status Stat(const LocalRoot& root, std::string_view key, struct stat* st);
  // --links: the target of the link `key` and the link's own stat, read
  // beneath `root` with no link on the way to it.
  virtual StatusOr<std::string> ReadLink(const LocalRoot& root, std::string_view key,
                                         struct stat* st);

  // A downloaded file's attributes, set on its descriptor before it is
  // renamed into place; `path` is the name it will have.
  virtual Status Fchown(int fd, const std::string& path, uid_t uid, gid_t gid);
  virtual Status Fchmod(int fd, const std::string& path, mode_t mode);
  virtual Status Futimens(int fd, const std::string& path, const struct timespec times[2]);
  // Renames the download into place (TempFile::Commit).
  virtual Status Commit(fileio::TempFile& temp);
  // Removes `key` under the destination `root`, never through a link
  // (fileio::RemoveDestFile).
  virtual Status Remove(const std::string& root, std::string_view key);

  // The system's: what a sync uses unless SyncOptions::file_system says otherwise.
  static FileSystem* Default();
};

}  // namespace gwsync::sync
