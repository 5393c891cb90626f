#include "manifest/digest.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "hash/hash.h"
#include "transfer/object_transfer.h"

namespace gwsync::manifest {

StatusOr<FileDigests> DigestFile(const std::string& path, uint64_t part_size, bool sha256) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string msg = "cannot read '" + path + "': " + std::strerror(err);
    return err == ENOENT ? NotFound(msg) : Internal(msg);
  }
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  hash::Md5Hasher whole, part;
  hash::Sha256Hasher sha;
  std::vector<hash::Md5Digest> parts;
  uint64_t in_part = 0;
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
    while (part_size > 0 && !chunk.empty()) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(chunk.size(), part_size - in_part));
      part.Update(chunk.substr(0, take));
      chunk.remove_prefix(take);
      in_part += take;
      if (in_part == part_size) {
        parts.push_back(part.Finish());
        in_part = 0;
      }
    }
  }
  close(fd);
  if (part_size > 0 && (in_part > 0 || parts.empty())) parts.push_back(part.Finish());
  d.md5 = hash::Hex(whole.Finish());
  if (sha256) d.sha256 = hash::Hex(sha.Finish());
  if (part_size > 0) d.multipart = transfer::MultipartEtag(parts);
  return d;
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
  std::vector<uint64_t> tries = {
      hint,      5 * mib,   8 * mib,    15 * mib,
      16 * mib,  32 * mib,  64 * mib,   128 * mib,
      256 * mib, 512 * mib, 1024 * mib, ((size + parts - 1) / parts + mib - 1) / mib * mib};
  for (uint64_t p : tries) {
    if (p == 0) continue;
    // `parts` parts of p bytes, the last one not empty (one part may be the whole object).
    bool fits = parts == 1 ? size <= p : (size + p - 1) / p == parts;
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
  for (uint64_t p : candidates) {
    ASSIGN_OR_RETURN(FileDigests d, DigestFile(path, p, false));
    *computed = d.multipart;
    if (d.multipart == etag) return true;
  }
  return false;
}

}  // namespace gwsync::manifest
