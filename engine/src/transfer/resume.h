// Resumable downloads. A large download keeps, in an extended attribute of
// its temporary file ("user.gwsync.resume"), which version of the object it
// holds (ETag and size), its part size, and how many bytes of each part are
// on disk, updated as the bytes arrive (every MiB of a part, and at its
// end), for an object of any number of parts: the record lists runs of
// equal parts ("f*40" forty whole parts, "0*900" nine hundred not begun), so
// it stays small however large the object; should the parts in flight make
// it long all the same, it keeps the leading runs and writes the rest as not
// begun (a record may say less is on disk, never more). A run killed by
// SIGKILL or a crash leaves that file behind; the next
// download of the same key adopts it when the record matches the object it
// is about to fetch and asks only for the rest, with If-Match on the ETag,
// so a changed object starts over. A file system without user xattrs simply
// never resumes. Any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fileio/files.h"
#include "http/request.h"

namespace gwsync::transfer {

struct ResumeRecord {
  std::string etag;
  uint64_t size = 0;
  uint64_t part_size = 0;
  std::vector<uint64_t> written;  // per part, bytes on disk from its start
};

// The most bytes an encoded record takes (its attribute stays within one
// 4 KiB block, ext4's room for all of a file's attributes).
constexpr size_t kMaxResumeRecordBytes = 2048;

std::string EncodeResume(const ResumeRecord& record);
std::optional<ResumeRecord> DecodeResume(std::string_view text);
// The record on `fd`, if it has one.
std::optional<ResumeRecord> ReadResume(int fd);
bool WriteResume(int fd, const ResumeRecord& record);
void ClearResume(int fd);

// A temporary file for the same name as `fresh`, in its folder, that a dead
// run left (unlocked) with a record of the same ETag, size and part size:
// adopted, locked, and its record put in `record`. Such files that do not
// match (the object changed) are removed. Null when there is none.
std::unique_ptr<fileio::TempFile> AdoptPartial(const fileio::TempFile& fresh,
                                               const std::string& etag, uint64_t size,
                                               uint64_t part_size, ResumeRecord* record);

// Counts the bytes each part's sink writes and saves the record now and
// then. Sinks call it from the curl loop; safe from any thread.
class ResumeTracker {
 public:
  ResumeTracker(int fd, ResumeRecord record) : fd_(fd), record_(std::move(record)) {
    saved_ = record_.written;
  }
  void Wrote(size_t part, uint64_t bytes);
  void Reset(size_t part, uint64_t to);
  void Save();

 private:
  std::mutex mu_;
  int fd_;
  ResumeRecord record_;
  std::vector<uint64_t> saved_;
};

// A sink for one part's remaining range that tells the tracker.
class TrackingSink final : public http::BodySink {
 public:
  TrackingSink(std::shared_ptr<http::BodySink> inner, std::shared_ptr<ResumeTracker> tracker,
               size_t part, uint64_t base)
      : inner_(std::move(inner)), tracker_(std::move(tracker)), part_(part), base_(base) {}
  Status Write(std::string_view data) override;
  bool Restart() override;
  uint64_t written() const { return written_; }

 private:
  std::shared_ptr<http::BodySink> inner_;
  std::shared_ptr<ResumeTracker> tracker_;
  size_t part_;
  uint64_t base_;  // bytes of the part already on disk before this request
  uint64_t written_ = 0;
};

}  // namespace gwsync::transfer
