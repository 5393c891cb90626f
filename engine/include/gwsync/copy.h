// Copying one object on an opened Gateway (gwsync/gateway.h): what `gwsync
// put`, `get` and `cp` do, with every byte checked: an upload sends
// Content-MD5 and compares the ETag; a download goes to a temporary name,
// is checked against the length and the ETag, and is renamed into place only
// when complete; a copy between buckets is server-side. Large objects go in
// parts, several at once. Copy blocks its thread until the object is done;
// call it from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "gwsync/gateway.h"
#include "gwsync/status.h"

namespace gwsync {

struct CopyRequest {
  // A local file, "-" (standard input) or s3://BUCKET/KEY; at least one of
  // the two sides is an s3:// URL.
  std::string source;
  // s3://BUCKET/KEY (no key, or one ending in '/': the source's name under
  // it), a file, a folder (the key's last name in it) or "-" (standard
  // output, the bytes in order).
  std::string destination;
  bool zstd = false;  // an upload is compressed with zstd (level 3) and marked so
  bool raw = false;   // a download comes as stored; else a marked object is decompressed
  // A download to a file is renamed into place only when its bytes are
  // proven the object's (kFailedPrecondition otherwise). To standard output
  // or between buckets the bytes are out first: see CopyResult::verified.
  bool require_verified = false;
};

struct CopyResult {
  enum class Kind { kUpload, kDownload, kCopy };  // to a bucket, from one, between two
  Kind kind = Kind::kUpload;
  // Where the object went: s3://BUCKET/KEY with the key completed, a file's
  // path with the key's name completed, or "-".
  std::string destination;
  uint64_t size = 0;               // bytes stored (zstd: compressed)
  uint64_t uncompressed_size = 0;  // zstd: the bytes read
  int parts = 0;                   // an upload's parts (0: one request)
  // Whether the bytes are proven the object's. Not when its ETag is of no
  // form that can be recomputed (SSE-C, a gateway's own) or no part size
  // reproduces a multipart one; a proven difference is an error (kDataLoss).
  bool verified = true;
  std::string why;  // when not verified: why not
};

// The checks that need no gateway, in the order Copy makes them: one side
// is an s3:// URL, the URLs are well formed, a local source is readable.
// Copy makes them too; a program may call this before opening a Gateway.
Status CheckCopy(const CopyRequest& request);

// Copies one object. Errors name the object ("upload to s3://b/k: ...").
StatusOr<CopyResult> Copy(const Gateway& gateway, const CopyRequest& request);

}  // namespace gwsync
