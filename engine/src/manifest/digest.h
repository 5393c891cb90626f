// The digests of a local file a manifest records: its MD5 (a single-part
// object's ETag), its SHA-256, and the ETag a multipart object of a given
// part size would have: the MD5 of the concatenated part MD5s, then "-N"
// (RGW's, as S3's). Whether a file holds an object's bytes is one check for
// every command, transfer::ContentCheck (transfer/etag.h). Pure functions
// over files; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gwsync/status.h"

namespace gwsync::manifest {

struct FileDigests {
  uint64_t size = 0;                    // bytes read
  std::string md5;                      // hex
  std::string sha256;                   // hex, when asked for
  std::string xxh3;                     // hex, xxh3-128
  std::string multipart;                // "HEX-N", when a part size was given
  std::vector<std::string> multiparts;  // one per part size of DigestFileParts
};

// Reads `path` once. `part_size` 0: no multipart ETag.
StatusOr<FileDigests> DigestFile(const std::string& path, uint64_t part_size, bool sha256);
// Reads `path` once for the multipart ETag at each of `part_sizes`.
StatusOr<FileDigests> DigestFileParts(const std::string& path,
                                      const std::vector<uint64_t>& part_sizes, bool sha256);

}  // namespace gwsync::manifest
