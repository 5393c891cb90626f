// What the transfers read and hash of local files: MD5 and xxh3 of a byte
// range, the xxh3 of a file hashed part by part in any order, and sinks that
// hash or check what they pass on. The file primitives themselves (Fd,
// TempFile, ...) are fileio's (fileio/files.h). Each object has one owner
// at a time unless it says otherwise; any thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fileio/files.h"
#include "hash/hash.h"
#include "http/request.h"
#include "transfer/etag.h"

namespace gwsync::transfer {

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

}  // namespace gwsync::transfer
