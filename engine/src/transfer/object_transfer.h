// Moving one object between a local file (or a stream) and a gateway, with
// every byte checked: uploads send Content-MD5 on each request and compare the
// ETag the gateway returns (the multipart ETag too); downloads are checked
// against the length and, where the ETag is an MD5, against it, and are
// written to a temporary name renamed into place only when complete.
// Large objects go as multipart uploads or ranged GETs with several requests
// in flight. The functions block their caller (never the transport's thread)
// and are safe to call from several threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "hash/hash.h"
#include "s3/client.h"
#include "transfer/files.h"

namespace gwsync::transfer {

// The progress of one file's multipart upload, kept where it survives the
// process (the sync index), so an interrupted upload resumes with the parts
// already sent instead of starting over.
struct UploadCheckpoint {
  std::string upload_id;
  uint64_t part_size = 0;
  uint64_t file_size = 0;
  int64_t file_mtime_ns = 0;
  std::map<int, std::string> part_md5s;  // part number -> MD5 (hex) of the parts done
};

// Callbacks are called from any thread, one at a time per upload.
struct CheckpointStore {
  std::function<std::optional<UploadCheckpoint>()> load;
  std::function<void(const UploadCheckpoint&)> save;
  std::function<void()> clear;
};

struct TransferOptions {
  uint64_t part_size = 16ull << 20;
  uint64_t multipart_threshold = 64ull << 20;
  int parallel = 8;  // requests in flight for one object's parts or ranges
  std::string content_type;
  std::map<std::string, std::string> metadata;  // sent as x-amz-meta-*
  // Called as bytes complete (from any thread): for progress display.
  std::function<void(uint64_t)> on_bytes;
  // DownloadFile calls this on the complete, verified file before renaming
  // it into place (to set its mode and times; it has the umask's mode then).
  std::function<void(int fd, const s3::ObjectHead& head)> before_commit;
  // UploadFile records multipart progress here when set.
  std::shared_ptr<CheckpointStore> checkpoint;
  // DownloadFile: the object as listed. With both, a download of more than
  // one part is resumable (transfer/resume.h): what a killed run left of it
  // is adopted, and only the rest fetched.
  std::string expected_etag;
  uint64_t expected_size = 0;
  // > 0: UploadFile and UploadStream compress with zstd at this level and
  // mark the object (transfer/zstd_stream.h: the marker, and the
  // uncompressed size when it is known before the upload starts).
  int zstd_level = 0;
  // DownloadFile and DownloadStream decompress an object so marked (asking
  // its metadata first, one HEAD); otherwise every object comes as stored.
  bool decompress = false;
};

struct UploadResult {
  uint64_t size = 0;
  std::string etag;
  int parts = 0;                   // 0: a single PUT
  int parts_resumed = 0;           // parts an earlier, interrupted run had sent
  uint64_t uncompressed_size = 0;  // zstd_level > 0: the bytes read (`size` is stored)
};

struct DownloadResult {
  uint64_t size = 0;
  std::string etag;
  bool etag_verified = false;  // false when the ETag is not an MD5 (multipart)
  s3::ObjectHead head;
};

// Uploads the regular file at `path`.
StatusOr<UploadResult> UploadFile(const s3::Client& client, const std::string& path,
                                  const std::string& bucket, const std::string& key,
                                  const TransferOptions& options);

// Uploads everything readable from `fd` (a pipe, stdin) until end of file.
// The length is unknown, so parts are buffered: memory use is bounded by
// part_size * (parallel + 1).
StatusOr<UploadResult> UploadStream(const s3::Client& client, int fd, const std::string& bucket,
                                    const std::string& key, const TransferOptions& options);

// Downloads to `path` through a temporary file in the same folder.
StatusOr<DownloadResult> DownloadFile(const s3::Client& client, const std::string& bucket,
                                      const std::string& key, const std::string& path,
                                      const TransferOptions& options);
// The same into a temporary file the caller made (TempFile::CreateAt), given
// the mode a new file gets before `before_commit` runs, then committed.
StatusOr<DownloadResult> DownloadInto(const s3::Client& client, const std::string& bucket,
                                      const std::string& key, std::unique_ptr<TempFile> tmp,
                                      const TransferOptions& options);

// Streams the object to `fd` (stdout) in order.
StatusOr<DownloadResult> DownloadStream(const s3::Client& client, const std::string& bucket,
                                        const std::string& key, int fd,
                                        const TransferOptions& options);

// Copies an object to another cluster (or user) with no local staging: each
// part is read with a ranged GET pinned to the source's ETag into memory
// (part_size * parallel at most) and uploaded, metadata included.
StatusOr<UploadResult> CopyAcross(const s3::Client& from, const std::string& src_bucket,
                                  const std::string& src_key, const s3::Client& to,
                                  const std::string& bucket, const std::string& key,
                                  const TransferOptions& options);

// A part size of at least `wanted` (and 5 MiB) that keeps `size` within
// S3's 10,000 parts.
uint64_t PartSizeFor(uint64_t size, uint64_t wanted);

// The ETag S3 gives a multipart object: MD5 of the concatenated part MD5s, "-N".
std::string MultipartEtag(const std::vector<hash::Md5Digest>& part_md5s);
// True when `etag` is a plain MD5 (32 hex digits), not a multipart "-N" one.
bool EtagIsMd5(std::string_view etag);

}  // namespace gwsync::transfer
