#include "transfer/files.h"

#include <algorithm>
#include <functional>

#include "http/bodies.h"

namespace gwsync::transfer {

namespace {

// Feeds [offset, offset + length) of `fd` to `fn`, a MiB at a time.
Status ReadRange(int fd, uint64_t offset, uint64_t length,
                 const std::function<void(std::string_view)>& fn) {
  std::string buf(std::min<uint64_t>(length, 1 << 20), '\0');
  http::FileRangeSource src(fd, offset, length);
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, src.Read(buf));
    if (n == 0) break;
    fn(std::string_view(buf.data(), n));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<hash::Md5Digest> Md5OfRange(int fd, uint64_t offset, uint64_t length) {
  hash::Md5Hasher md5;
  RETURN_IF_ERROR(ReadRange(fd, offset, length, [&](std::string_view b) { md5.Update(b); }));
  return md5.Finish();
}

StatusOr<std::string> Xxh3OfRange(int fd, uint64_t offset, uint64_t length) {
  hash::Xxh3Hasher xxh3;
  RETURN_IF_ERROR(ReadRange(fd, offset, length, [&](std::string_view b) { xxh3.Update(b); }));
  return xxh3.FinishHex();
}

StatusOr<RangeDigests> DigestsOfRange(int fd, uint64_t offset, uint64_t length) {
  hash::Md5Hasher md5;
  hash::Xxh3Hasher xxh3;
  RETURN_IF_ERROR(ReadRange(fd, offset, length, [&](std::string_view b) {
    md5.Update(b);
    xxh3.Update(b);
  }));
  return RangeDigests{md5.Finish(), xxh3.FinishHex()};
}

PartsXxh3::PartsXxh3(int fd, uint64_t size, uint64_t part_size)
    : fd_(fd),
      size_(size),
      part_size_(std::max<uint64_t>(part_size, 1)),
      read_((size + part_size_ - 1) / part_size_, false) {}

StatusOr<hash::Md5Digest> PartsXxh3::Md5OfPart(size_t part) {
  const uint64_t offset = part * part_size_;
  if (part >= read_.size()) return Internal("part " + std::to_string(part) + " past the file");
  bool feed = false;
  {
    std::lock_guard lock(mu_);
    if (!busy_ && !broken_ && next_ == part) feed = busy_ = true;
  }
  hash::Md5Hasher md5;
  Status s = ReadRange(fd_, offset, std::min(part_size_, size_ - offset), [&](std::string_view b) {
    md5.Update(b);
    if (feed) xxh3_.Update(b);
  });
  {
    std::lock_guard lock(mu_);
    if (feed) {
      busy_ = false;
      if (s.ok()) next_ = part + 1;
      if (!s.ok()) broken_ = true;
    }
    if (s.ok()) read_[part] = true;
  }
  RETURN_IF_ERROR(s);
  CatchUp();
  return md5.Finish();
}

Status PartsXxh3::Feed(size_t first, size_t end) {
  const uint64_t offset = first * part_size_;
  const uint64_t length = std::min(size_, end * part_size_) - offset;
  return ReadRange(fd_, offset, length, [&](std::string_view b) { xxh3_.Update(b); });
}

// Whoever finds the next part read and nobody feeding feeds it, and the
// ones after it read meanwhile; a part marked read while another thread
// feeds is seen by that thread's next look, made under the same lock.
void PartsXxh3::CatchUp() {
  std::unique_lock lock(mu_);
  while (!busy_ && !broken_ && next_ < read_.size() && read_[next_]) {
    const size_t part = next_;
    busy_ = true;
    lock.unlock();
    Status s = Feed(part, part + 1);
    lock.lock();
    busy_ = false;
    if (!s.ok()) broken_ = true;
    if (s.ok()) {
      next_ = part + 1;
      reread_ += std::min(part_size_, size_ - part * part_size_);
    }
  }
}

StatusOr<std::string> PartsXxh3::Finish() {
  std::lock_guard lock(mu_);
  if (broken_) return Xxh3OfRange(fd_, 0, size_);
  if (next_ < read_.size()) {
    RETURN_IF_ERROR(Feed(next_, read_.size()));
    next_ = read_.size();
  }
  return xxh3_.FinishHex();
}

std::optional<std::string> PartsXxh3::FinishIfFed() {
  std::lock_guard lock(mu_);
  if (broken_ || busy_ || next_ < read_.size()) return std::nullopt;
  return xxh3_.FinishHex();
}

uint64_t PartsXxh3::reread_bytes() {
  std::lock_guard lock(mu_);
  return reread_;
}

Status HashingSink::Write(std::string_view data) {
  md5_.Update(data);
  xxh3_.Update(data);
  size_ += data.size();
  return inner_->Write(data);
}

}  // namespace gwsync::transfer
