// The pieces the transfer state machines share (upload.cc, download.cc,
// copy.cc, object_transfer.cc); not part of the module's interface.
// Every machine advances on completions: from the transport's loop thread
// for network answers, from a worker (TransferOptions::workers) for hashing
// and file work. Neither ever waits for the other.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "hash/hash.h"
#include "s3/client.h"
#include "transfer/etag.h"
#include "transfer/object_transfer.h"
#include "util/workers.h"

namespace gwsync::transfer::internal {

inline constexpr int kMaxParts = 10000;
inline constexpr uint64_t kMinPartSize = 5ull << 20;
inline constexpr uint64_t kMiB = 1ull << 20;

// A stream of unknown length (stdin) is cut into parts of --part-size (at
// least 5 MiB) doubling every kStreamDoubling parts, up to 5 GiB: from 5 MiB
// parts that holds 9.2 TiB in 10,000 parts, more than S3's largest object.
inline constexpr int kStreamDoubling = 900;
inline PartLayout StreamLayout(const TransferOptions& options) {
  return PartLayout{std::max(options.part_size, kMinPartSize), kStreamDoubling};
}

// Metadata of a multipart object gwsync uploaded: its part layout (the part
// size, and for a stream whose parts grow, the parts per doubling), so a
// download can recompute the ETag exactly and a mismatch is proof.
inline constexpr const char* kPartSizeMeta = "gwsync-part-size";
inline constexpr const char* kPartDoublingMeta = "gwsync-part-doubling";
// Records `layout` in `metadata` (and nothing of an earlier one).
void RecordLayout(const PartLayout& layout, std::map<std::string, std::string>* metadata);

inline std::string What(const std::string& bucket, const std::string& key) {
  return "s3://" + bucket + "/" + key;
}
// Where part `number` (1-based) of `size` bytes cut by `layout` lies; false
// past the last part.
inline bool PartBounds(int number, const PartLayout& layout, uint64_t size, uint64_t* offset,
                       uint64_t* len) {
  *offset = layout.Offset(static_cast<uint64_t>(number));
  if (*offset >= size) return false;
  *len = std::min(layout.PartSize(static_cast<uint64_t>(number)), size - *offset);
  return true;
}

Status CheckEtag(std::string_view got, std::string_view want, const std::string& what);
Status CheckRoom(int fd, uint64_t more, const std::string& path, const std::string& what);
// Aborts a multipart upload in the background (its answer is not awaited).
void AbortLater(const s3::Client& client, const std::string& bucket, const std::string& key,
                const std::string& upload_id);

// Reads some bytes of a stream into the span; 0 at its end.
using ReadFn = std::function<StatusOr<size_t>(std::span<char>)>;
ReadFn FdReader(int fd);
// Reads until `buf` is full or the end of the input; returns the count.
StatusOr<size_t> ReadFull(const ReadFn& read_some, std::string* buf);

// One part of a multipart upload, ready to send.
struct Part {
  std::shared_ptr<http::BodySource> body;  // null: past the last part
  hash::Md5Digest md5{};
  uint64_t size = 0;
  bool already_sent = false;  // an interrupted run sent it (resume): only counted
  // Server-side copy: the part is this range of the source, not a body.
  std::optional<s3::ByteRange> copy_range;
};

// Produces the parts of an upload, on workers or from the network.
class PartProducer {
 public:
  virtual ~PartProducer() = default;
  // Whether Next may be called again before the previous call finished
  // (each part's place is known without reading the ones before it).
  virtual bool concurrent() const = 0;
  // Part `number` (1-based, in order), or a null body past the end. Calls
  // `done` once, from any thread.
  virtual void Next(int number, std::function<void(StatusOr<Part>)> done) = 0;
};

// Server-side part copies need the source named.
struct CopySource {
  std::string bucket, key, etag;
};

// Runs a multipart upload of the parts `producer` makes: at most
// options.parallel parts in flight (each request to the least-loaded
// gateway of the pool), every part sent with Content-MD5 and its ETag
// checked, the completed object's ETag checked against the parts'.
// `upload_id` resumes that upload, whose parts in `sent` are not sent again.
// `on_part(upload_id, number, md5hex)` hears of each confirmed part (number 0:
// the upload was created), on a worker, one at a time.
void RunMultipart(const s3::Client& client, std::string bucket, std::string key,
                  const TransferOptions& options, std::unique_ptr<PartProducer> producer,
                  std::string upload_id, std::optional<CopySource> copy_source,
                  std::function<void(const std::string&, int, const std::string&)> on_part,
                  std::function<void(StatusOr<UploadResult>)> done);

// What a PUT or CreateMultipartUpload sends besides the bytes: the
// options' content type, headers, metadata and tags.
s3::PutOptions ObjectPutOptions(const TransferOptions& options);

// One PUT of `body` with Content-MD5, its ETag checked.
void PutBody(const s3::Client& client, const std::string& bucket, const std::string& key,
             const TransferOptions& options, std::shared_ptr<http::BodySource> body,
             const hash::Md5Digest& md5, std::function<void(StatusOr<UploadResult>)> done);

// Uploads a stream of unknown length in parts cut by `layout` (StreamLayout;
// upload.cc): `first` holds its first part, or all of it (`whole`: one PUT).
void StartUploadStream(const s3::Client& client, ReadFn read, std::string first, bool whole,
                       const std::string& bucket, const std::string& key,
                       const TransferOptions& options, const PartLayout& layout, UploadDone done);

// Workers for a blocking call whose options name none: its tasks go to the
// engine's arena, and are all done when the call returns.
class CallWorkers {
 public:
  explicit CallWorkers(TransferOptions* options) {
    if (!options->workers) {
      own_ = std::make_unique<util::Workers>();
      options->workers = own_.get();
    }
  }

 private:
  std::unique_ptr<util::Workers> own_;
};

}  // namespace gwsync::transfer::internal
