#include "manifest/digest.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "hash/hash.h"
#include "transfer/object_transfer.h"

namespace gwsync::manifest {

namespace {

// The multipart ETag of one part size, fed the file in order.
class PartHasher {
 public:
  explicit PartHasher(uint64_t part_size) : part_size_(part_size) {}
  void Update(std::string_view chunk) {
    while (!chunk.empty()) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(chunk.size(), part_size_ - in_part_));
      part_.Update(chunk.substr(0, take));
      chunk.remove_prefix(take);
      in_part_ += take;
      if (in_part_ == part_size_) {
        parts_.push_back(part_.Finish());
        in_part_ = 0;
      }
    }
  }
  std::string Finish() {
    if (in_part_ > 0 || parts_.empty()) parts_.push_back(part_.Finish());
    return transfer::MultipartEtag(parts_);
  }

 private:
  const uint64_t part_size_;
  hash::Md5Hasher part_;
  std::vector<hash::Md5Digest> parts_;
  uint64_t in_part_ = 0;
};

}  // namespace

StatusOr<FileDigests> DigestFileParts(const std::string& path,
                                      const std::vector<uint64_t>& part_sizes, bool sha256) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string msg = "cannot read '" + path + "': " + std::strerror(err);
    return err == ENOENT ? NotFound(msg) : Internal(msg);
  }
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  hash::Md5Hasher whole;
  hash::Sha256Hasher sha;
  std::vector<PartHasher> parts;
  for (uint64_t p : part_sizes) {
    if (p > 0) parts.emplace_back(p);
  }
  FileDigests d;
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return Internal("cannot read '" + path + "': " + std::strerror(err));
    }
    if (n == 0) break;
    std::string_view chunk(buf.data(), static_cast<size_t>(n));
    d.size += chunk.size();
    whole.Update(chunk);
    if (sha256) sha.Update(chunk);
    for (auto& p : parts) p.Update(chunk);
  }
  close(fd);
  d.md5 = hash::Hex(whole.Finish());
  if (sha256) d.sha256 = hash::Hex(sha.Finish());
  for (auto& p : parts) d.multiparts.push_back(p.Finish());
  if (!d.multiparts.empty()) d.multipart = d.multiparts.front();
  return d;
}

StatusOr<FileDigests> DigestFile(const std::string& path, uint64_t part_size, bool sha256) {
  return DigestFileParts(path, {part_size}, sha256);
}

uint64_t EtagParts(const std::string& etag) {
  size_t dash = etag.rfind('-');
  if (dash != 32 || !transfer::EtagIsMd5(etag.substr(0, dash))) return 0;
  uint64_t n = 0;
  for (size_t i = dash + 1; i < etag.size(); ++i) {
    if (etag[i] < '0' || etag[i] > '9') return 0;
    n = n * 10 + static_cast<uint64_t>(etag[i] - '0');
  }
  return n;
}

std::vector<uint64_t> PartSizeCandidates(uint64_t size, uint64_t parts, uint64_t hint) {
  const uint64_t mib = 1 << 20;
  std::vector<uint64_t> out;
  if (parts == 0) return out;
  if (parts == 1) return {std::max<uint64_t>(size, 1)};  // any size >= the object's: one part
  std::vector<uint64_t> tries = {
      hint,      5 * mib,   8 * mib,    15 * mib,
      16 * mib,  32 * mib,  64 * mib,   128 * mib,
      256 * mib, 512 * mib, 1024 * mib, ((size + parts - 1) / parts + mib - 1) / mib * mib};
  for (uint64_t p : tries) {
    if (p == 0) continue;
    bool fits = (size + p - 1) / p == parts;  // the last part is not empty
    if (fits && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

StatusOr<bool> FileMatchesEtag(const std::string& path, const std::string& etag, uint64_t size,
                               uint64_t hint, std::string* computed) {
  if (transfer::EtagIsMd5(etag)) {
    ASSIGN_OR_RETURN(FileDigests d, DigestFile(path, 0, false));
    *computed = d.md5;
    return d.md5 == etag;
  }
  uint64_t parts = EtagParts(etag);
  if (parts == 0) {
    return Status(StatusCode::kUnimplemented,
                  "ETag '" + etag + "' is neither an MD5 nor multipart");
  }
  std::vector<uint64_t> candidates = PartSizeCandidates(size, parts, hint);
  if (candidates.empty()) {
    *computed = "";
    return false;  // no part size splits this size into that many parts
  }
  ASSIGN_OR_RETURN(FileDigests d, DigestFileParts(path, candidates, false));
  for (const std::string& m : d.multiparts) {
    *computed = m;
    if (m == etag) return true;
  }
  *computed = d.multiparts.front();  // the most likely part size's
  return false;
}

}  // namespace gwsync::manifest
