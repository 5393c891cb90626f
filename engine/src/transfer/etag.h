// Checking bytes against an S3 ETag, for every size: a plain ETag is the MD5
// of the object; a multipart one ("HEX-N") is the MD5 of its N part MD5s,
// which depends on the part size the uploader chose. That size is not in the
// ETag, so a file is checked against every part size that splits its length
// into N parts (ours first, then the sizes tools commonly use), all in one
// read. Pure functions over descriptors; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gwsync/status.h"
#include "hash/hash.h"

namespace gwsync::transfer {

// The ETag S3 gives a multipart object of one part size, fed the bytes in order.
class MultipartHasher {
 public:
  explicit MultipartHasher(uint64_t part_size) : part_size_(part_size) {}
  void Update(std::string_view chunk);
  std::string Finish();

 private:
  uint64_t part_size_;
  hash::Md5Hasher part_;
  std::vector<hash::Md5Digest> parts_;
  uint64_t in_part_ = 0;
};

// The number of parts of a multipart ETag ("HEX-N"), 0 for any other.
uint64_t EtagParts(std::string_view etag);

// The part sizes that split `size` bytes into `parts` parts, most likely
// first: `hint` (our --part-size, a manifest's, or the first part's length
// a gateway reported), the sizes tools commonly use, then the smallest whole
// MiB that fits.
std::vector<uint64_t> PartSizeCandidates(uint64_t size, uint64_t parts, uint64_t hint);

enum class EtagCheck {
  kMatch,     // the bytes are the object's
  kMismatch,  // they are not (or no candidate part size reproduces the ETag)
  kUnknown,   // the ETag is neither an MD5 nor multipart (SSE-C, a gateway's own)
};

// Reads [0, size) of `fd` once and compares it with `etag`. `computed` (if
// set) gets the ETag computed last, for messages.
StatusOr<EtagCheck> CheckFdAgainstEtag(int fd, uint64_t size, std::string_view etag, uint64_t hint,
                                       std::string* computed = nullptr);

}  // namespace gwsync::transfer
