#include "manifest/digest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "hash/hash.h"
#include "transfer/etag.h"

namespace gwsync::manifest {

StatusOr<FileDigests> DigestFileParts(const std::string& path,
                                      const std::vector<uint64_t>& part_sizes, bool sha256) {
  // Non-blocking: a FIFO put in a file's place is refused, not waited on.
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string msg = "cannot read '" + path + "': " + std::strerror(err);
    return err == ENOENT ? NotFound(msg) : Internal(msg);
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Status(StatusCode::kFailedPrecondition,
                  "cannot read '" + path + "': not a regular file");
  }
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  hash::Md5Hasher whole;
  hash::Sha256Hasher sha;
  hash::Xxh3Hasher xxh3;
  std::vector<transfer::MultipartHasher> parts;
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
    xxh3.Update(chunk);
    if (sha256) sha.Update(chunk);
    for (auto& p : parts) p.Update(chunk);
  }
  close(fd);
  d.md5 = hash::Hex(whole.Finish());
  if (sha256) d.sha256 = hash::Hex(sha.Finish());
  d.xxh3 = xxh3.FinishHex();
  for (auto& p : parts) d.multiparts.push_back(p.Finish());
  if (!d.multiparts.empty()) d.multipart = d.multiparts.front();
  return d;
}

StatusOr<FileDigests> DigestFile(const std::string& path, uint64_t part_size, bool sha256) {
  return DigestFileParts(path, {part_size}, sha256);
}

}  // namespace gwsync::manifest
