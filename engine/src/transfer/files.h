// Local-file helpers shared by the transfers: an owned descriptor, errno
// mapped onto Status, MD5 of a byte range, a sink that hashes what it writes,
// and a temporary file renamed into place only when complete (so a crash
// never leaves a half-written file under a real name). Each object has one
// owner at a time; any thread.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fileio/errno_status.h"
#include "hash/hash.h"
#include "http/request.h"
#include "transfer/etag.h"

namespace gwsync::transfer {

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

StatusOr<hash::Md5Digest> Md5OfRange(int fd, uint64_t offset, uint64_t length);
// The xxh3-128 (hex) of a range: what a file's record keeps of its bytes
// (index, run manifest), read at disk speed.
StatusOr<std::string> Xxh3OfRange(int fd, uint64_t offset, uint64_t length);
// Both in one read: a file to upload whole.
struct RangeDigests {
  hash::Md5Digest md5{};
  std::string xxh3;
};
StatusOr<RangeDigests> DigestsOfRange(int fd, uint64_t offset, uint64_t length);

// The xxh3-128 of a file whose equal parts are hashed in any order, on any
// thread (a ranged download's parts as they land, a multipart upload's as
// they are sent): a part read in its turn feeds the xxh3 in the same read as
// its MD5; a part read ahead of its turn is read once more, from the page
// cache, when the parts before it are in. Thread-safe.
class PartsXxh3 {
 public:
  PartsXxh3(int fd, uint64_t size, uint64_t part_size);

  // The MD5 of part `part` (0-based; all its bytes in the file), feeding the
  // xxh3 too when the part is its next; then the parts read and next.
  StatusOr<hash::Md5Digest> Md5OfPart(size_t part);
  // Once no Md5OfPart runs: the parts not fed yet are read now; the hex xxh3.
  StatusOr<std::string> Finish();
  // Finish when every part was fed by Md5OfPart (no read left), else none.
  std::optional<std::string> FinishIfFed();
  // Bytes read only for the xxh3 (parts hashed ahead of their turn).
  uint64_t reread_bytes();

 private:
  Status Feed(size_t first, size_t end);  // parts [first, end) from the file; busy_ held
  void CatchUp();

  const int fd_;
  const uint64_t size_, part_size_;
  std::mutex mu_;           // guards what follows; xxh3_ belongs to whoever set busy_
  std::vector<bool> read_;  // per part: its MD5 taken
  size_t next_ = 0;         // the parts before it are in xxh3_
  bool busy_ = false;       // a thread is feeding xxh3_
  bool broken_ = false;     // a read failed part way: the file is read whole at Finish
  uint64_t reread_ = 0;
  hash::Xxh3Hasher xxh3_;
};

// Feeds each body byte into an MD5 and an xxh3-128 as well as the wrapped
// sink.
class HashingSink final : public http::BodySink {
 public:
  explicit HashingSink(std::shared_ptr<http::BodySink> inner) : inner_(std::move(inner)) {}
  Status Write(std::string_view data) override;
  bool Restart() override {
    if (!inner_->Restart()) return false;
    md5_ = hash::Md5Hasher();
    xxh3_ = hash::Xxh3Hasher();
    size_ = 0;
    return true;
  }
  hash::Md5Digest Finish() { return md5_.Finish(); }
  std::string FinishXxh3() { return xxh3_.FinishHex(); }
  uint64_t size() const { return size_; }

 private:
  std::shared_ptr<http::BodySink> inner_;
  hash::Md5Hasher md5_;
  hash::Xxh3Hasher xxh3_;
  uint64_t size_ = 0;
};

// Feeds each body byte into a ContentCheck (etag.h) as well as the wrapped
// sink: a stream checked against the object's ETag as it passes.
class CheckingSink final : public http::BodySink {
 public:
  CheckingSink(std::shared_ptr<http::BodySink> inner, std::shared_ptr<ContentCheck> check)
      : inner_(std::move(inner)), check_(std::move(check)) {}
  Status Write(std::string_view data) override {
    check_->Update(data);
    return inner_->Write(data);
  }
  // What was passed on cannot be taken back: no retry after the first byte.
  bool Restart() override { return false; }

 private:
  std::shared_ptr<http::BodySink> inner_;
  std::shared_ptr<ContentCheck> check_;
};

// The process's umask, read once from /proc (umask() itself would change
// it for every thread).
mode_t Umask();
// The mode a new file gets from open(..., 0666): 0666 less the umask.
mode_t DefaultFileMode();

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

// Writes `body` to `path` through a TempFile: fsynced, given `mode`, then
// renamed into place. Writers of the same path at once (the shares of one
// backup) each have their own temporary name; the last rename wins and no
// one ever reads half a file.
Status WriteFileAtomically(const std::string& path, std::string_view body, mode_t mode);

// When a signal stops the process at once (util/interrupt.h), removes every
// live temporary file but the partial downloads kept for the next run
// (KeepIfStopped). Call once, early in main, after StartInterruptThread.
void RemoveTempFilesOnSignals();

}  // namespace gwsync::transfer
