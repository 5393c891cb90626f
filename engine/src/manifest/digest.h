// The digests of a local file that prove it holds an object's bytes: its
// MD5 (a single-part object's ETag), its SHA-256, and the ETag a multipart
// object of a given part size would have: the MD5 of the concatenated part
// MD5s, then "-N" (RGW's, as S3's). Pure functions over files; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gwsync/status.h"
#include "transfer/etag.h"

namespace gwsync::manifest {

struct FileDigests {
  uint64_t size = 0;                    // bytes read
  std::string md5;                      // hex
  std::string sha256;                   // hex, when asked for
  std::string multipart;                // "HEX-N", when a part size was given
  std::vector<std::string> multiparts;  // one per part size of DigestFileParts
};

// Reads `path` once. `part_size` 0: no multipart ETag.
StatusOr<FileDigests> DigestFile(const std::string& path, uint64_t part_size, bool sha256);
// Reads `path` once for the multipart ETag at each of `part_sizes`.
StatusOr<FileDigests> DigestFileParts(const std::string& path,
                                      const std::vector<uint64_t>& part_sizes, bool sha256);

// The parts of a multipart ETag and the part sizes that may have made it
// (transfer/etag.h: one rule for sync, downloads, manifests and verify).
using transfer::EtagParts;
using transfer::PartSizeCandidates;

// Whether the file holds the bytes of an object with `etag` (plain MD5 or
// multipart, trying every PartSizeCandidates in one read). `computed` gets the ETag computed
// last (for a report). An ETag of another form (SSE-C, ...) is Unimplemented.
StatusOr<bool> FileMatchesEtag(const std::string& path, const std::string& etag, uint64_t size,
                               uint64_t hint, std::string* computed);

}  // namespace gwsync::manifest
