// The one check of bytes against an S3 ETag, for every size and every
// command (sync, get, cp, verify): a plain ETag is the MD5 of the object; a
// multipart one ("HEX-N") is the MD5 of its N part MD5s, which depends on
// how the uploader cut the parts. That is not in the ETag: an object gwsync
// uploaded records its part layout (metadata), and any other is checked
// against the part sizes tools commonly use, all in one read. The answer is
// one of three: verified, different, or unverifiable (no candidate part size
// reproduces the ETag, or an ETag of no known form): never "verified" on a
// guess, never "different" without proof. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gwsync/status.h"
#include "hash/hash.h"

namespace gwsync::transfer {

// How an upload cut an object into parts: `size` bytes each (the last one
// shorter), or, with `doubling`, `size` for the first `doubling` parts,
// twice that for the next `doubling`, and so on up to S3's 5 GiB per part
// (a stream of unknown length grows its parts so that it fits in 10,000).
struct PartLayout {
  static constexpr uint64_t kMaxPart = 5ull << 30;
  uint64_t size = 0;
  int doubling = 0;  // parts per doubling; 0: every part `size` bytes

  // Part `number` (1-based): its length were the object endless.
  uint64_t PartSize(uint64_t number) const;
  // Where part `number` starts.
  uint64_t Offset(uint64_t number) const;
  // The parts `total` bytes take (at least 1).
  uint64_t Count(uint64_t total) const;
  bool operator==(const PartLayout&) const = default;
};

// The ETag S3 gives a multipart object of one part layout, fed the bytes in order.
class MultipartHasher {
 public:
  explicit MultipartHasher(PartLayout layout) : layout_(layout), part_len_(layout.PartSize(1)) {}
  explicit MultipartHasher(uint64_t part_size) : MultipartHasher(PartLayout{part_size, 0}) {}
  void Update(std::string_view chunk);
  std::string Finish();

 private:
  PartLayout layout_;
  hash::Md5Hasher part_;
  std::vector<hash::Md5Digest> parts_;
  uint64_t part_len_;  // of the part being hashed
  uint64_t in_part_ = 0;
};

// The number of parts of a multipart ETag ("HEX-N"), 0 for any other.
uint64_t EtagParts(std::string_view etag);

// The part sizes that split `size` bytes into `parts` parts, most likely
// first: `hint` (our --part-size, a manifest's), the sizes tools commonly
// use, then the smallest whole MiB that fits.
std::vector<uint64_t> PartSizeCandidates(uint64_t size, uint64_t parts, uint64_t hint);

enum class Verdict {
  kVerified,      // the bytes are the object's
  kDifferent,     // they are not: proven
  kUnverifiable,  // no proof either way (see ContentCheck)
};
std::string_view VerdictName(Verdict v);

// What a check found, with the reason for a message ("content MD5 X does
// not match the ETag Y", "no part size reproduces ...").
// `xxh3`: the xxh3-128 (hex) of the bytes read, whatever the verdict: what
// the index and a run manifest record of a file, so that a later check is
// by xxh3 (below) at disk speed.
struct CheckResult {
  CheckResult(Verdict v = Verdict::kUnverifiable, std::string w = {}, std::string x = {})
      : verdict(v), why(std::move(w)), xxh3(std::move(x)) {}
  Verdict verdict;
  std::string why;  // empty when verified
  std::string xxh3;
};

// Checks `size` bytes, fed in order, against `etag`. `recorded`: the part
// layout the object records (gwsync's own uploads): authoritative, so a
// mismatch proves a difference. Without it, every candidate part size
// (PartSizeCandidates with `hint`) is hashed at once, and none matching is
// unverifiable: the uploader may have used a size none of them has.
//
// With a recorded xxh3 (`known_xxh3`: the xxh3-128 the index or a run
// manifest kept of bytes once proven the object's), the bytes are checked
// against it instead of the ETag, with no MD5: a match is the object's
// content, a mismatch a proven difference.
class ContentCheck {
 public:
  ContentCheck(std::string etag, uint64_t size, std::optional<PartLayout> recorded, uint64_t hint,
               std::string known_xxh3 = {});
  void Update(std::string_view chunk);
  // The bytes fed must be `size` in all; fewer or more is a difference.
  CheckResult Finish();

 private:
  CheckResult Judge();

  std::string etag_;
  uint64_t size_;
  uint64_t fed_ = 0;
  std::string known_xxh3_;
  hash::Xxh3Hasher xxh3_;
  bool plain_;
  bool recorded_ = false;
  std::string impossible_;  // why no layout can give this ETag, when none can
  hash::Md5Hasher whole_;
  std::vector<MultipartHasher> hashers_;
};

// Reads [0, size) of `fd` once through a ContentCheck.
StatusOr<CheckResult> CheckFd(int fd, uint64_t size, std::string_view etag,
                              std::optional<PartLayout> recorded, uint64_t hint,
                              std::string_view known_xxh3 = {});
// The same for the file at `path` (NotFound when it is gone).
StatusOr<CheckResult> CheckFile(const std::string& path, uint64_t size, std::string_view etag,
                                std::optional<PartLayout> recorded, uint64_t hint,
                                std::string_view known_xxh3 = {});

}  // namespace gwsync::transfer
