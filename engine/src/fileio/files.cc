#include "fileio/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <random>

#include "fileio/temp_name.h"
#include "gwsync/interrupt.h"

namespace gwsync::fileio {

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("cannot write '" + path + "'", errno);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

namespace {

// The temporary files alive now, for the last words of a signal: fixed slots
// read without locks. A slot is 0 free, 1 being filled, 2 live, 3 live and
// kept (a partial download the next run resumes).
// With more than kMaxLive at once, the extra ones are not registered (they
// are still removed by the next sync into their folder).
constexpr int kMaxLive = 1024;
struct LiveSlot {
  std::atomic<int> state{0};
  char path[4096];
};
LiveSlot g_live[kMaxLive];

int RegisterLive(const std::string& path) {
  if (path.size() >= sizeof(LiveSlot::path)) return -1;
  for (int i = 0; i < kMaxLive; ++i) {
    int expected = 0;
    if (g_live[i].state.compare_exchange_strong(expected, 1)) {
      std::memcpy(g_live[i].path, path.c_str(), path.size() + 1);
      g_live[i].state.store(2);
      return i;
    }
  }
  return -1;
}

void UnregisterLive(int slot) {
  if (slot >= 0) g_live[slot].state.store(0);
}

void RemoveLive(int) {
  for (auto& slot : g_live) {
    if (slot.state.load() == 2) unlink(slot.path);
  }
}

}  // namespace

}  // namespace gwsync::fileio

namespace gwsync {
void RemoveTempFilesOnSignals() { static LastWords words(fileio::RemoveLive); }
}  // namespace gwsync

namespace gwsync::fileio {

// The full name of temporary file `tmp` that will become `path`, for the
// signal handler (which has no folder descriptors to hand).
std::string TempPathOf(const std::string& path, const std::string& tmp) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? tmp : path.substr(0, slash + 1) + tmp;
}

TempFile::TempFile(int fd, std::shared_ptr<Fd> dir, std::string tmp, std::string name,
                   std::string path)
    : fd_(fd),
      dir_(std::move(dir)),
      tmp_(std::move(tmp)),
      name_(std::move(name)),
      path_(std::move(path)),
      slot_(RegisterLive(TempPathOf(path_, tmp_))) {}

std::unique_ptr<TempFile> TempFile::Adopt(int fd, std::shared_ptr<Fd> dir, std::string tmp,
                                          std::string name, std::string path) {
  return std::unique_ptr<TempFile>(
      new TempFile(fd, std::move(dir), std::move(tmp), std::move(name), std::move(path)));
}

mode_t Umask() {
  static const mode_t mask = [] {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.starts_with("Umask:")) {
        return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8) & 0777);
      }
    }
    return static_cast<mode_t>(022);  // the usual one
  }();
  return mask;
}

StatusOr<std::unique_ptr<TempFile>> TempFile::Create(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, std::max<size_t>(slash, 1));
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  auto fd = std::make_shared<Fd>(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd->get() < 0) return ErrnoStatus("cannot create a file in '" + dir + "'", errno);
  return CreateAt(std::move(fd), base, path);
}

StatusOr<std::unique_ptr<TempFile>> TempFile::CreateAt(std::shared_ptr<Fd> dir, std::string name,
                                                       std::string path) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  // 0600 whatever the umask: the object's mode is set only when the bytes
  // are complete and verified.
  auto random_name = [&name] {
    std::string tmp = TempStem(name);
    for (int i = 0; i < 6; ++i) tmp += kChars[rng() % (sizeof(kChars) - 1)];
    return tmp;
  };
  // Where the file system allows, the file is made unnamed, marked and
  // locked, and only then given its temporary name: no run killed at any
  // moment leaves a temporary's name without the mark (a user's file of
  // such a name is one without it).
  if (int fd = openat(dir->get(), ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600); fd >= 0) {
    flock(fd, LOCK_EX | LOCK_NB);
    const bool marked = fsetxattr(fd, kTempXattr, "1", 1, 0) == 0;
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    for (int tries = 0; marked && tries < 100; ++tries) {
      std::string tmp = random_name();
      if (linkat(AT_FDCWD, proc.c_str(), dir->get(), tmp.c_str(), AT_SYMLINK_FOLLOW) == 0) {
        return std::unique_ptr<TempFile>(
            new TempFile(fd, std::move(dir), std::move(tmp), std::move(name), std::move(path)));
      }
      if (errno != EEXIST) break;  // no /proc: named the plain way
    }
    close(fd);
  }
  for (int tries = 0; tries < 100; ++tries) {
    std::string tmp = random_name();
    int fd =
        openat(dir->get(), tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      // Held until the file is renamed or removed: a later run may delete a
      // temporary file only when its writer is gone (RemoveIfStale).
      flock(fd, LOCK_EX | LOCK_NB);
      // What tells it from a user's file of the same name (IsOwnTemp);
      // a file system without user attributes leaves the lock alone to say so.
      fsetxattr(fd, kTempXattr, "1", 1, 0);
      return std::unique_ptr<TempFile>(
          new TempFile(fd, std::move(dir), std::move(tmp), std::move(name), std::move(path)));
    }
    if (errno != EEXIST) return ErrnoStatus("cannot create a file beside '" + path + "'", errno);
  }
  return Internal("cannot find a free temporary name beside '" + path + "'");
}

TempFile::~TempFile() {
  if (fd_ >= 0) close(fd_);
  if (!committed_) unlinkat(dir_->get(), tmp_.c_str(), 0);
  UnregisterLive(slot_);
}

void TempFile::KeepIfStopped() {
  int expected = 2;
  if (slot_ >= 0) g_live[slot_].state.compare_exchange_strong(expected, 3);
}

void TempFile::Keep() {
  committed_ = true;  // not removed when destroyed: left for the next run
  UnregisterLive(slot_);
  slot_ = -1;
}

Status TempFile::Commit() { return CommitTo(dir_, name_, path_); }

Status TempFile::CommitTo(std::shared_ptr<Fd> dir, std::string name, std::string path) {
  int fd = fd_;
  fd_ = -1;
  // The mark goes once the file has its name (killed before, it would keep
  // a temporary's name without the mark and be taken for a user's file for
  // good), through a second descriptor: close's verdict on the writes still
  // comes before the rename.
  int mark = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (close(fd) != 0) {
    int err = errno;
    if (mark >= 0) close(mark);
    return ErrnoStatus("write '" + path_ + "'", err);
  }
  if (renameat(dir_->get(), tmp_.c_str(), dir->get(), name.c_str()) != 0) {
    int err = errno;
    // Still a temporary, its writes checked: the caller may place it
    // elsewhere (a folder took the name meanwhile), or drop it.
    fd_ = mark;
    return ErrnoStatus("rename to '" + path + "'", err);
  }
  if (mark >= 0) {
    fremovexattr(mark, kTempXattr);
    close(mark);
  }
  committed_ = true;
  UnregisterLive(slot_);
  slot_ = -1;
  return Status::Ok();
}

}  // namespace gwsync::fileio

namespace gwsync {

mode_t DefaultFileMode() { return 0666 & ~fileio::Umask(); }

Status WriteFileAtomically(const std::string& path, std::string_view body, mode_t mode) {
  ASSIGN_OR_RETURN(auto file, fileio::TempFile::Create(path));
  RETURN_IF_ERROR(fileio::WriteAll(file->fd(), body, path));
  if (fchmod(file->fd(), mode) != 0)
    return fileio::ErrnoStatus("cannot write '" + path + "'", errno);
  if (fsync(file->fd()) != 0) return fileio::ErrnoStatus("cannot write '" + path + "'", errno);
  return file->Commit();
}

}  // namespace gwsync
