#include "fileio/temp_name.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

namespace gwsync::fileio {
namespace {

bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

bool IsTempName(std::string_view name) {
  constexpr std::string_view kMarker = kTempMarker;
  constexpr size_t kSuffix = 6;  // mkstemp's XXXXXX
  // '.' + at least one character of the original name + marker + suffix.
  if (name.size() < 2 + kMarker.size() + kSuffix || name.front() != '.') return false;
  std::string_view tail = name.substr(name.size() - kMarker.size() - kSuffix);
  if (!tail.starts_with(kMarker)) return false;
  return std::all_of(tail.begin() + kMarker.size(), tail.end(), IsAlnum);
}

bool IsOwnTemp(int dir_fd, const char* name, int fresh_seconds) {
  int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;  // a link or a FIFO of that name is no temporary of ours
  struct stat st;
  bool own = false;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    own = fgetxattr(fd, kTempXattr, nullptr, 0) >= 0 || fgetxattr(fd, kResumeXattr, nullptr, 0) > 0;
    // Where the file system keeps user attributes, gwsync marks every
    // temporary before it has a name: one without the mark is a user's,
    // however new. Without attributes, a new one may be another run's
    // (its lock says so while it writes).
    // NOLINTNEXTLINE(misc-redundant-expression): one value on Linux, two elsewhere
    const bool attributes = !own && errno != ENOTSUP && errno != EOPNOTSUPP;
    own = own || (!attributes && time(nullptr) - st.st_ctime < fresh_seconds) ||
          (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK);
  }
  close(fd);
  return own;
}

bool RemoveIfStale(int dir_fd, const char* name, int stale_seconds) {
  int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  struct stat st;
  // A partial download that records its progress (transfer/resume.h) is
  // kept for a week for the next download of its key to resume; that
  // download removes it when the object changed.
  constexpr time_t kKeepResumable = 7 * 24 * 3600;
  bool resumable = fgetxattr(fd, kResumeXattr, nullptr, 0) > 0;
  bool marked = resumable || fgetxattr(fd, kTempXattr, nullptr, 0) >= 0;
  int keep_seconds = resumable ? kKeepResumable : stale_seconds;
  bool stale = marked && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
               time(nullptr) - st.st_ctime >= keep_seconds && flock(fd, LOCK_EX | LOCK_NB) == 0;
  bool removed = stale && unlinkat(dir_fd, name, 0) == 0;
  close(fd);
  return removed;
}

}  // namespace gwsync::fileio
