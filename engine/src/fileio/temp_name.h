// What makes a file gwsync's temporary: its name (".NAME.gwsync-XXXXXX"),
// the mark it carries while it is one, and the lock its writer holds; and
// how a later run tells such a file from a user's of the same shape and
// removes it once its writer is gone. Stateless; any thread.
#pragma once

#include <string>
#include <string_view>

namespace gwsync::fileio {

// The start of every temporary name gwsync gives a file it writes: "." +
// the file's name (its first 200 bytes) + ".gwsync-", then a random suffix
// (TempFile, a link placed, a partial download adopted).
inline constexpr std::string_view kTempMarker = ".gwsync-";
inline std::string TempStem(std::string_view name) {
  return "." + std::string(name.substr(0, 200)) + std::string(kTempMarker);
}
// True for names shaped like gwsync's temporary download files. A name
// alone proves nothing: a user may have a file of that shape.
bool IsTempName(std::string_view name);

// The mark TempFile sets on its file while it is a temporary (removed
// before it takes its real name).
inline constexpr char kTempXattr[] = "user.gwsync.temp";
// A partial download's record of its progress (transfer/resume.h): such a
// temporary is kept for the next run to resume.
inline constexpr char kResumeXattr[] = "user.gwsync.resume";

// Whether `name` (shaped as IsTempName says) in the folder `dir_fd` is
// provably gwsync's temporary: it carries kTempXattr or a resumable
// download's record (kResumeXattr), or a live process holds its lock,
// or, on a file system without user attributes, it changed less than
// `fresh_seconds` ago (its writer may not have locked it yet). A user's file
// of that shape is none of these: it is walked like any other and never
// removed.
bool IsOwnTemp(int dir_fd, const char* name, int fresh_seconds);

// Removes the temporary file `name` in the folder `dir_fd` when it is
// provably gwsync's (kTempXattr or kResumeXattr) and stale: no
// process holds its lock (TempFile keeps an flock on it while
// writing, and the kernel drops it when the writer dies, even by SIGKILL)
// and unchanged for `stale_seconds` (its ctime, which no one can set back:
// this covers the moments between creation and locking, and between the
// writer's close and rename). True when it was removed.
bool RemoveIfStale(int dir_fd, const char* name, int stale_seconds);

}  // namespace gwsync::fileio
