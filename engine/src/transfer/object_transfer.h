// Moving one object between a local file (or a stream) and a gateway, or
// between gateways, with every byte checked the same way whatever its size:
// uploads send Content-MD5 on each request and compare the ETag the gateway
// returns (the multipart ETag too); downloads are written to a temporary
// name, checked against the length and against the ETag (a multipart ETag
// by recomputing it from the file's parts, transfer/etag.h), and renamed
// into place only when complete. Large objects go as multipart uploads or
// ranged GETs with TransferOptions::parallel requests in flight, spread by
// the client's pool over its gateways.
//
// Each transfer is a state machine (Start*): it advances on the transport's
// completions and hands hashing and file work to TransferOptions::workers,
// so no thread waits for an object. The blocking forms are thin waits on
// them, for callers off the transport's thread; all are safe to call from
// several threads at once.
#pragma once

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "hash/hash.h"
#include "s3/client.h"
#include "transfer/etag.h"
#include "transfer/files.h"
#include "util/workers.h"

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
  // Which file it is and whether it was written since: a file rewritten in
  // place (same size, its mtime set back) has a new ctime, a file replaced
  // by another a new inode. Either starts the upload over.
  uint64_t file_dev = 0;
  uint64_t file_inode = 0;
  int64_t file_ctime_ns = 0;
};

// Callbacks are called from any thread, one at a time per upload.
struct CheckpointStore {
  std::function<std::optional<UploadCheckpoint>()> load;
  std::function<void(const UploadCheckpoint&)> save;
  std::function<void()> clear;
};

// Bounds the bytes that transfers hold in memory at once (the part buffers
// of cross-cluster copies): a part is read only once its bytes fit, and its
// bytes are given back when its upload is done. Asynchronous: a part that
// does not fit waits in line, no thread waits. Any thread.
class BufferBudget {
 public:
  explicit BufferBudget(uint64_t bytes)
      : capacity_(std::max<uint64_t>(bytes, 1)), free_(capacity_) {}
  // Calls `go` once `bytes` fit (now, or later from a Release's thread). A
  // request larger than the whole budget waits for all of it.
  void Acquire(uint64_t bytes, std::function<void()> go);
  void Release(uint64_t bytes);

 private:
  const uint64_t capacity_;
  std::mutex mu_;
  uint64_t free_;
  std::deque<std::pair<uint64_t, std::function<void()>>> waiting_;
};

struct TransferOptions {
  uint64_t part_size = 16ull << 20;
  uint64_t multipart_threshold = 64ull << 20;
  int parallel = 8;  // requests in flight for one object's parts or ranges
  // Where hashing, file reads and checkpoint saves run. Required by the
  // Start* forms; the blocking forms make a small pool when it is null.
  util::Workers* workers = nullptr;
  // Same-cluster copies at or above this size go as multipart uploads of
  // server-side part copies (UploadPartCopy): S3 copies at most 5 GiB in one
  // request.
  uint64_t copy_multipart_threshold = 5ull << 30;
  // Cross-cluster copies hold their parts in memory within this budget
  // (shared by every transfer given the same one); null: each copy holds at
  // most `parallel` parts.
  std::shared_ptr<BufferBudget> buffers;
  // What the object keeps besides its bytes (s3::PutOptions).
  std::string content_type;
  s3::ContentHeaders content;
  std::map<std::string, std::string> metadata;  // sent as x-amz-meta-*
  std::string tagging;                          // x-amz-tagging
  // Called as bytes complete (from any thread, the transport's included):
  // for progress display; must not block.
  std::function<void(uint64_t)> on_bytes;
  // DownloadFile calls this on the complete, verified file before renaming
  // it into place (to set its mode and times; it has the umask's mode then).
  std::function<void(int fd, const s3::ObjectHead& head)> before_commit;
  // DownloadFile: a last word on the complete file before it is renamed into
  // place (get --require-verified refuses an unverifiable one); an error
  // leaves nothing behind.
  std::function<Status(const struct DownloadResult&)> accept;
  // UploadFile records multipart progress here when set (its callbacks run
  // on workers, never on the transport's thread).
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
  // Downloads: this version of the key (a versioned bucket's
  // ?versionId=); empty: the current one.
  std::string version_id;
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
  // Whether what was written is proven to be the source's bytes. An upload
  // from a file or stream is (Content-MD5 and the ETag checked); a copy
  // between buckets only when the ETags can say so (etag.h). Never
  // kDifferent: that is an error.
  Verdict verdict = Verdict::kVerified;
  std::string why;  // for kUnverifiable
  // A multipart upload from a file: the xxh3-128 (hex) of the bytes sent,
  // taken as the parts were read; empty when it was not (parts an earlier
  // run sent).
  std::string xxh3;
};

struct DownloadResult {
  uint64_t size = 0;
  std::string etag;
  // The bytes against the ETag (etag.h): kVerified, or kUnverifiable when
  // the ETag is of no form that can be recomputed (SSE-C, a gateway's own)
  // or no part size reproduces a multipart one. Never kDifferent: that is
  // an error (DataLoss).
  Verdict verdict = Verdict::kUnverifiable;
  std::string why;  // for kUnverifiable
  // StartDownload: the xxh3-128 (hex) of the bytes in `temp`, for the
  // file's records (index, run manifest).
  std::string xxh3;
  s3::ObjectHead head;
  // StartDownload: the temporary file holding the bytes (a partial download
  // a killed run left may have been adopted instead of the one given).
  std::shared_ptr<fileio::TempFile> temp;
};

using UploadDone = std::function<void(StatusOr<UploadResult>)>;
using DownloadDone = std::function<void(StatusOr<DownloadResult>)>;

// A local file to upload.
struct FileToUpload {
  std::string path;
  // Open on `path` already (a sync opens and hashes it in its prepare);
  // null: opened here.
  std::shared_ptr<fileio::Fd> fd;
  // MD5 of the whole file, when the caller has it (a single PUT then needs
  // no read before it is sent).
  std::optional<hash::Md5Digest> md5;
  // With fd: its fstat as the caller took it, who then also checks that the
  // file did not change while it was read (sync does at commit); null: the
  // transfer takes it and checks at the end.
  std::optional<struct stat> stat;
};

// The asynchronous forms. `done` runs once, on the transport's thread or a
// worker; it must not block.
void StartUploadFile(const s3::Client& client, FileToUpload file, const std::string& bucket,
                     const std::string& key, const TransferOptions& options, UploadDone done);
// A small body held in memory (a link's target, a folder marker): one PUT.
// `md5`: the body's, when the caller has it.
void StartPutBody(const s3::Client& client, std::string body, const std::string& bucket,
                  const std::string& key, const TransferOptions& options, UploadDone done,
                  std::optional<hash::Md5Digest> md5 = std::nullopt);
// Into `tmp`, complete and checked but not committed: the caller restores
// attributes and commits. With expected_etag and expected_size (a listing)
// no HEAD is needed, and a large object is resumable.
void StartDownload(const s3::Client& client, const std::string& bucket, const std::string& key,
                   std::shared_ptr<fileio::TempFile> tmp, const TransferOptions& options,
                   DownloadDone done);
// Another cluster or user: ranged GETs into at most `parallel` part buffers,
// uploaded as they come. The same cluster and user: server-side, by
// CopyObject, or UploadPartCopy parts at or above copy_multipart_threshold.
void StartCopy(const s3::Client& from, const std::string& src_bucket, const std::string& src_key,
               const s3::Client& to, const std::string& bucket, const std::string& key,
               const TransferOptions& options, UploadDone done);

// A local file opened to be uploaded (UploadFile's first step, for callers
// that start the upload themselves): `file` for StartUploadFile, which takes
// its own fstat; `st` as opened. A directory is refused; anything else that
// is not `regular` (a pipe) can only be streamed.
struct OpenedFile {
  FileToUpload file;
  struct stat st {};
  bool regular = false;
};
StatusOr<OpenedFile> OpenToUpload(const std::string& path);

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
// The same into a temporary file the caller made (fileio::TempFile::CreateAt), given
// the mode a new file gets before `before_commit` runs, then committed.
StatusOr<DownloadResult> DownloadInto(const s3::Client& client, const std::string& bucket,
                                      const std::string& key, std::unique_ptr<fileio::TempFile> tmp,
                                      const TransferOptions& options);

// DownloadInto's end, for callers that start the download themselves:
// given StartDownload's outcome and the temporary file it was given, the
// object refused if it came compressed when `decompress` was asked, then
// accepted, its mode and before_commit set, and committed. It does file
// work: call it on the caller's thread, never the transport's.
StatusOr<DownloadResult> FinishDownload(StatusOr<DownloadResult> got,
                                        std::shared_ptr<fileio::TempFile> tmp,
                                        const std::string& bucket, const std::string& key,
                                        const TransferOptions& options);

// Streams the object to `fd` (stdout) in order.
StatusOr<DownloadResult> DownloadStream(const s3::Client& client, const std::string& bucket,
                                        const std::string& key, int fd,
                                        const TransferOptions& options);

// Copies an object (StartCopy), metadata included, and waits.
StatusOr<UploadResult> CopyObject(const s3::Client& from, const std::string& src_bucket,
                                  const std::string& src_key, const s3::Client& to,
                                  const std::string& bucket, const std::string& key,
                                  const TransferOptions& options);

// The part layout an object gwsync uploaded in parts records in its
// metadata (a download then checks its ETag exactly), if any.
std::optional<PartLayout> RecordedLayout(const s3::ObjectHead& head);

// A part size of at least `wanted` (and 5 MiB) that keeps `size` within
// S3's 10,000 parts.
uint64_t PartSizeFor(uint64_t size, uint64_t wanted);

// The ETag S3 gives a multipart object: MD5 of the concatenated part MD5s, "-N".
std::string MultipartEtag(const std::vector<hash::Md5Digest>& part_md5s);
// True when `etag` is a plain MD5 (32 hex digits), not a multipart "-N" one.
bool EtagIsMd5(std::string_view etag);

}  // namespace gwsync::transfer
