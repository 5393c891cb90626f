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
#include "transfer/object_transfer.h"
#include "util/workers.h"

namespace gwsync::transfer::internal {

inline constexpr int kMaxParts = 10000;
inline constexpr uint64_t kMinPartSize = 5ull << 20;
inline constexpr uint64_t kMiB = 1ull << 20;

// Metadata of a multipart object gwsync uploaded: its part size, so a
// download can recompute the ETag exactly and a mismatch is proof.
inline constexpr const char* kPartSizeMeta = "gwsync-part-size";
// The part size an object records, or 0.
uint64_t RecordedPartSize(const s3::ObjectHead& head);

inline std::string What(const std::string& bucket, const std::string& key) {
  return "s3://" + bucket + "/" + key;
}
// Where part `number` (1-based) of `size` bytes in parts of `part_size`
// lies; false past the last part.
inline bool PartBounds(int number, uint64_t part_size, uint64_t size, uint64_t* offset,
                       uint64_t* len) {
  *offset = static_cast<uint64_t>(number - 1) * part_size;
  if (*offset >= size) return false;
  *len = std::min(part_size, size - *offset);
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

// One PUT of `body` with Content-MD5, its ETag checked.
void PutBody(const s3::Client& client, const std::string& bucket, const std::string& key,
             const TransferOptions& options, std::shared_ptr<http::BodySource> body,
             const hash::Md5Digest& md5, std::function<void(StatusOr<UploadResult>)> done);

// Workers for a blocking call whose options name none: a small pool that
// lives as long as the call.
class CallWorkers {
 public:
  explicit CallWorkers(TransferOptions* options) {
    if (!options->workers) {
      own_ = std::make_unique<util::Workers>(2);
      options->workers = own_.get();
    }
  }

 private:
  std::unique_ptr<util::Workers> own_;
};

}  // namespace gwsync::transfer::internal
