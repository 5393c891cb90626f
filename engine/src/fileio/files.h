// Local-file primitives: an owned descriptor, a file's times, writing all
// of a buffer, the process's umask, and a temporary file renamed into place
// only when complete (so a crash never leaves a half-written file under a
// real name). Each object has one owner at a time; any thread.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <string_view>

#include "fileio/errno_status.h"
#include "gwsync/files.h"
#include "gwsync/status.h"

namespace gwsync::fileio {

// A file's modification and status-change times, in nanoseconds since the
// epoch.
inline int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}
inline int64_t CtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
}

// Owns an open file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Writes all of `data` to `fd` (EINTR retried); `path` is for messages.
Status WriteAll(int fd, std::string_view data, const std::string& path);

// The process's umask, read once from /proc (umask() itself would change
// it for every thread).
mode_t Umask();
using gwsync::DefaultFileMode;  // gwsync/files.h

// A temporary file ".NAME.gwsync-XXXXXX" beside `path`, removed unless
// committed, also when the process is interrupted (RemoveTempFilesOnSignals).
// It is created 0600, so no one else can read a download while it is
// written: the caller sets the final mode (fchmod) before Commit.
class TempFile {
 public:
  static StatusOr<std::unique_ptr<TempFile>> Create(const std::string& path);
  // The same in the open folder `dir`, named `name` there (never through a
  // link: the temporary name is created O_EXCL | O_NOFOLLOW and renamed
  // with renameat); `path` is for messages.
  static StatusOr<std::unique_ptr<TempFile>> CreateAt(std::shared_ptr<Fd> dir, std::string name,
                                                      std::string path);
  // Takes over the existing temporary file `tmp` in `dir` (open as `fd`,
  // its lock held) that will become `name` there: a partial download being
  // resumed.
  static std::unique_ptr<TempFile> Adopt(int fd, std::shared_ptr<Fd> dir, std::string tmp,
                                         std::string name, std::string path);
  ~TempFile();
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // The folder it is in, and the name it will have there.
  const std::shared_ptr<Fd>& dir() const { return dir_; }
  const std::string& name() const { return name_; }
  // Closes the file and renames it to `path`.
  Status Commit();
  // A partial download that records its progress (transfer/resume.h): a
  // signal that stops the process leaves it for the next run to resume.
  void KeepIfStopped();
  // Destroyed, it is left where it is (its lock goes with the descriptor):
  // a resumable partial download whose transfer failed.
  void Keep();
  // The same, into the open folder `dir` under `name` instead (on the same
  // file system; `path` is for messages).
  Status CommitTo(std::shared_ptr<Fd> dir, std::string name, std::string path);

 private:
  TempFile(int fd, std::shared_ptr<Fd> dir, std::string tmp, std::string name, std::string path);
  int fd_;
  std::shared_ptr<Fd> dir_;
  std::string tmp_, name_, path_;  // tmp_ and name_ in dir_
  bool committed_ = false;
  int slot_ = -1;  // in the registry of live temporary files
};

// WriteFileAtomically and RemoveTempFilesOnSignals: gwsync/files.h (public:
// a program writes its own files the same way).
using gwsync::RemoveTempFilesOnSignals;
using gwsync::WriteFileAtomically;

}  // namespace gwsync::fileio
