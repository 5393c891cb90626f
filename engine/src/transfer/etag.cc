#include "transfer/etag.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "transfer/files.h"
#include "transfer/object_transfer.h"

namespace gwsync::transfer {

void MultipartHasher::Update(std::string_view chunk) {
  while (!chunk.empty()) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(chunk.size(), part_size_ - in_part_));
    part_.Update(chunk.substr(0, take));
    chunk.remove_prefix(take);
    in_part_ += take;
    if (in_part_ == part_size_) {
      parts_.push_back(part_.Finish());  // Finish starts afresh
      in_part_ = 0;
    }
  }
}

std::string MultipartHasher::Finish() {
  if (in_part_ > 0 || parts_.empty()) parts_.push_back(part_.Finish());
  return MultipartEtag(parts_);
}

uint64_t EtagParts(std::string_view etag) {
  size_t dash = etag.rfind('-');
  if (dash != 32 || !EtagIsMd5(etag.substr(0, dash)) || dash + 1 == etag.size()) return 0;
  uint64_t n = 0;
  for (size_t i = dash + 1; i < etag.size(); ++i) {
    if (etag[i] < '0' || etag[i] > '9' || n > 100000) return 0;
    n = n * 10 + static_cast<uint64_t>(etag[i] - '0');
  }
  return n;
}

std::vector<uint64_t> PartSizeCandidates(uint64_t size, uint64_t parts, uint64_t hint) {
  const uint64_t mib = 1 << 20;
  std::vector<uint64_t> out;
  if (parts == 0) return out;
  if (parts == 1) return {std::max<uint64_t>(size, 1)};  // any size >= the object's: one part
  std::vector<uint64_t> tries = {hint,
                                 PartSizeFor(size, hint),
                                 5 * mib,
                                 8 * mib,
                                 15 * mib,
                                 16 * mib,
                                 32 * mib,
                                 50 * mib,
                                 64 * mib,
                                 100 * mib,
                                 128 * mib,
                                 256 * mib,
                                 512 * mib,
                                 1024 * mib,
                                 ((size + parts - 1) / parts + mib - 1) / mib * mib};
  for (uint64_t p : tries) {
    if (p == 0) continue;
    bool fits = (size + p - 1) / p == parts;  // the last part is not empty
    if (fits && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

StatusOr<EtagCheck> CheckFdAgainstEtag(int fd, uint64_t size, std::string_view etag, uint64_t hint,
                                       std::string* computed) {
  const bool plain = EtagIsMd5(etag);
  std::vector<uint64_t> candidates;
  if (!plain) {
    uint64_t parts = EtagParts(etag);
    if (parts == 0) return EtagCheck::kUnknown;
    candidates = PartSizeCandidates(size, parts, hint);
    if (candidates.empty()) {
      if (computed) computed->clear();
      return EtagCheck::kMismatch;  // no part size splits this size into that many parts
    }
  }
  hash::Md5Hasher whole;
  std::vector<MultipartHasher> hashers;
  for (uint64_t p : candidates) hashers.emplace_back(p);
  std::string buf(1 << 20, '\0');
  for (uint64_t offset = 0; offset < size;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - offset));
    ssize_t n = pread(fd, buf.data(), want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("cannot read the file", errno);
    if (n == 0) return DataLoss("the file ended at byte " + std::to_string(offset));
    std::string_view chunk(buf.data(), static_cast<size_t>(n));
    if (plain) whole.Update(chunk);
    for (auto& h : hashers) h.Update(chunk);
    offset += static_cast<uint64_t>(n);
  }
  if (plain) {
    std::string md5 = hash::Hex(whole.Finish());
    if (computed) *computed = md5;
    return md5 == etag ? EtagCheck::kMatch : EtagCheck::kMismatch;
  }
  for (auto& h : hashers) {
    std::string got = h.Finish();
    if (computed) *computed = got;
    if (got == etag) return EtagCheck::kMatch;
  }
  return EtagCheck::kMismatch;
}

}  // namespace gwsync::transfer
