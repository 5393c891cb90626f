// A PairLock is held by the one gwsync run of a pair of sides (source,
// destination): an flock on a file named from the pair, in a private folder.
// The kernel releases it when the process ends, however it ends, so a lock
// is never stale and nothing cleans locks up. Two PairLocks are two open file
// descriptions: two in one process exclude each other as two processes do.
// Used from one thread at a time (the Session's caller).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "fileio/files.h"
#include "gwsync/status.h"
#include "session/sync_names.h"

namespace gwsync::session {

struct LockOptions {
  std::string dir;                    // lock files; "": DefaultLockDir()
  std::chrono::milliseconds wait{0};  // how long to wait for another run (--wait-lock)
};

// util::CacheDir()/locks: ~/.cache/gwsync/locks.
std::string DefaultLockDir();

// The identity of a pair, as its index database and its lock are named: a
// hash of both sides (an endpoint and its keys, bucket and prefix; a folder's
// absolute path).
std::string PairKey(const Location& src, const Location& dst);

class PairLock {
 public:
  // Takes the lock file `name` in `options.dir` (the folder made 0700, the
  // file 0600, neither through a link) for a run described as `what`
  // ("s3://b -> /backup/b"), and records this process's pid in it. While
  // another holds it, polls until `options.wait` has passed or `stop` is
  // set. kAborted when it is still held then, the message naming `what` and
  // the holder's pid; another error when the lock file cannot be made.
  static StatusOr<std::unique_ptr<PairLock>> Acquire(const LockOptions& options,
                                                     const std::string& name,
                                                     const std::string& what,
                                                     const std::atomic<bool>* stop = nullptr);
  // Releases it: the pid is wiped while still held, then the file closed.
  ~PairLock();
  PairLock(const PairLock&) = delete;
  PairLock& operator=(const PairLock&) = delete;

 private:
  explicit PairLock(fileio::Fd fd) : fd_(std::move(fd)) {}
  fileio::Fd fd_;
};

// The lock of `src` -> `dst` (a share of it, with `options.manifest.share`:
// shares of one pair run side by side). Null, with `*notice` saying why, when
// the lock file cannot be made (a read-only home): the run goes on unlocked.
StatusOr<std::unique_ptr<PairLock>> LockPair(const LockOptions& lock, const Location& src,
                                             const Location& dst, const SyncOptions& options,
                                             std::string* notice);

}  // namespace gwsync::session
