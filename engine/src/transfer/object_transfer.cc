#include "transfer/object_transfer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "hash/hash.h"
#include "http/bodies.h"
#include "s3/xml.h"
#include "transfer/files.h"
#include "transfer/resume.h"
#include "transfer/zstd_stream.h"
#include "util/units.h"

namespace gwsync::transfer {
namespace {

constexpr int kMaxParts = 10000;
constexpr uint64_t kMinPartSize = 5ull << 20;
constexpr uint64_t kMiB = 1ull << 20;

// Bounds the asynchronous requests one caller has in flight and keeps the
// first error. Acquire/Drain on the caller's thread; Release from callbacks.
class Window {
 public:
  explicit Window(int limit) : limit_(std::max(1, limit)) {}

  // Waits for a free slot; false once something failed.
  bool Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ < limit_ || !first_error_.ok(); });
    if (!first_error_.ok()) return false;
    ++in_flight_;
    return true;
  }

  void Release(Status s) {
    std::lock_guard lock(mu_);
    --in_flight_;
    if (!s.ok() && first_error_.ok()) first_error_ = std::move(s);
    cv_.notify_all();
  }

  Status Drain() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ == 0; });
    return first_error_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int limit_;
  int in_flight_ = 0;
  Status first_error_;
};

std::string B64(const hash::Md5Digest& d) { return hash::Base64(d); }
std::string Hex(const hash::Md5Digest& d) { return hash::Hex(d); }

Status CheckEtag(std::string_view got, std::string_view want, const std::string& what) {
  if (got == want) return Status::Ok();
  return DataLoss(what + ": the gateway reports ETag '" + std::string(got) + "', expected '" +
                  std::string(want) + "'");
}

// Completes a multipart upload whose parts are all in, then checks the ETag.
StatusOr<std::string> Complete(const s3::Client& client, const std::string& bucket,
                               const std::string& key, const std::string& upload_id,
                               const std::vector<s3::PartInfo>& parts,
                               const std::vector<hash::Md5Digest>& md5s) {
  auto etag = s3::Wait<std::string>(
      [&](auto done) { client.CompleteMultipartUpload(bucket, key, upload_id, parts, done); });
  if (!etag.ok()) return etag.status();
  std::string got = *etag;
  if (got.empty()) {  // some RGW releases answer <ETag></ETag>: ask the object
    auto head = s3::Wait<s3::ObjectHead>([&](auto done) { client.HeadObject(bucket, key, done); });
    if (!head.ok()) return head.status();
    got = head->etag;
  }
  RETURN_IF_ERROR(CheckEtag(got, MultipartEtag(md5s), "s3://" + bucket + "/" + key));
  return got;
}

void Abort(const s3::Client& client, const std::string& bucket, const std::string& key,
           const std::string& upload_id) {
  s3::WaitStatus([&](auto done) {
    client.AbortMultipartUpload(bucket, key, upload_id, done);
  }).IgnoreError();
}

// Stands for a part an earlier run already uploaded: counted, never sent.
class SentPart final : public http::BodySource {
 public:
  explicit SentPart(uint64_t size) : size_(size) {}
  uint64_t size() const override { return size_; }
  StatusOr<size_t> Read(std::span<char>) override { return Internal("a sent part is not read"); }
  Status Rewind() override { return Status::Ok(); }

 private:
  uint64_t size_;
};

// Uploads the parts produced by `next_part` (which returns a body and its MD5,
// or nullptr at the end) as one multipart upload: a new one, or
// `resume_upload_id`. `on_part` hears of each part as the gateway confirms it.
using NextPart = std::function<StatusOr<std::shared_ptr<http::BodySource>>(hash::Md5Digest*)>;

StatusOr<UploadResult> UploadParts(const s3::Client& client, const std::string& bucket,
                                   const std::string& key, const TransferOptions& options,
                                   const NextPart& next_part,
                                   const std::string& resume_upload_id = "",
                                   const std::function<void(const std::string& upload_id, int,
                                                            const std::string&)>& on_part = {}) {
  s3::PutOptions put;
  put.content_type = options.content_type;
  put.metadata = options.metadata;
  StatusOr<std::string> upload_id = resume_upload_id;
  if (resume_upload_id.empty()) {
    upload_id = s3::Wait<std::string>(
        [&](auto done) { client.CreateMultipartUpload(bucket, key, put, done); });
  }
  if (!upload_id.ok()) return upload_id.status();
  if (on_part) on_part(*upload_id, 0, "");

  std::mutex mu;
  std::vector<s3::PartInfo> parts;
  std::vector<hash::Md5Digest> md5s;
  Window window(options.parallel);
  UploadResult result;
  Status produce;
  for (int number = 1;; ++number) {
    if (!window.Acquire()) break;
    hash::Md5Digest md5;
    auto body = next_part(&md5);
    if (!body.ok() || *body == nullptr) {
      produce = body.ok() ? Status::Ok() : body.status();
      window.Release(Status::Ok());
      break;
    }
    uint64_t size = (*body)->size();
    result.size += size;
    {
      std::lock_guard lock(mu);
      parts.push_back({number, Hex(md5), size});
      md5s.push_back(md5);
    }
    if (dynamic_cast<SentPart*>(body->get())) {
      ++result.parts_resumed;
      if (options.on_bytes) options.on_bytes(size);
      window.Release(Status::Ok());
      continue;
    }
    std::string what = "s3://" + bucket + "/" + key + " part " + std::to_string(number);
    client.UploadPart(bucket, key, *upload_id, number, *body, B64(md5),
                      [&window, &options, &on_part, id = *upload_id, number, what, size,
                       want = Hex(md5)](StatusOr<std::string> etag) {
                        Status s = etag.ok() ? CheckEtag(*etag, want, what) : etag.status();
                        if (s.ok() && options.on_bytes) options.on_bytes(size);
                        if (s.ok() && on_part) on_part(id, number, want);
                        window.Release(std::move(s));
                      });
  }
  Status sent = window.Drain();
  if (sent.ok()) sent = produce;
  if (!sent.ok()) {
    // Without a checkpoint nothing could resume it: give the space back.
    if (!options.checkpoint) Abort(client, bucket, key, *upload_id);
    return sent;
  }
  auto etag = Complete(client, bucket, key, *upload_id, parts, md5s);
  if (!etag.ok()) return etag.status();
  result.etag = *etag;
  result.parts = static_cast<int>(parts.size());
  return result;
}

// The parts of an interrupted upload of this same file that the gateway
// still holds, as recorded in `store` and confirmed by ListParts; fills `cp`
// with the upload to resume (or leaves it empty to start anew).
std::map<int, std::string> ResumableParts(const s3::Client& client, const std::string& bucket,
                                          const std::string& key, CheckpointStore* store,
                                          uint64_t size, int64_t mtime_ns, uint64_t part_size,
                                          UploadCheckpoint* cp) {
  cp->part_size = part_size;
  cp->file_size = size;
  cp->file_mtime_ns = mtime_ns;
  std::map<int, std::string> sent;
  if (!store) return sent;
  std::optional<UploadCheckpoint> old = store->load();
  if (!old || old->upload_id.empty()) return sent;
  if (old->file_size != size || old->file_mtime_ns != mtime_ns || old->part_size != part_size) {
    Abort(client, bucket, key, old->upload_id);  // the file changed: that upload is stale
    store->clear();
    return sent;
  }
  std::map<int, std::string> listed;
  for (int marker = 0;;) {
    auto page = s3::Wait<s3::PartsPage>(
        [&](auto done) { client.ListParts(bucket, key, old->upload_id, marker, done); });
    if (!page.ok()) {  // gone (completed, aborted, expired): start anew
      store->clear();
      return {};
    }
    for (const auto& p : page->parts) listed[p.number] = p.etag;
    if (!page->truncated) break;
    // A part marker that does not move forward, or past the last part S3
    // allows, would list forever: resume with what is known.
    if (page->next_part_number_marker <= marker || page->next_part_number_marker >= kMaxParts) {
      break;
    }
    marker = page->next_part_number_marker;
  }
  for (const auto& [number, md5] : old->part_md5s) {
    if (listed.count(number) && listed[number] == md5) sent[number] = md5;
  }
  cp->upload_id = old->upload_id;
  cp->part_md5s = sent;
  return sent;
}

StatusOr<UploadResult> PutWhole(const s3::Client& client, const std::string& bucket,
                                const std::string& key, const TransferOptions& options,
                                std::shared_ptr<http::BodySource> body,
                                const hash::Md5Digest& md5) {
  s3::PutOptions put;
  put.content_md5 = B64(md5);
  put.content_type = options.content_type;
  put.metadata = options.metadata;
  uint64_t size = body->size();
  auto etag = s3::Wait<std::string>(
      [&](auto done) { client.PutObject(bucket, key, std::move(body), put, done); });
  if (!etag.ok()) return etag.status();
  RETURN_IF_ERROR(CheckEtag(*etag, Hex(md5), "s3://" + bucket + "/" + key));
  if (options.on_bytes) options.on_bytes(size);
  return UploadResult{size, *etag, 0};
}

// Reads some bytes of a stream into the span; 0 at its end.
using ReadFn = std::function<StatusOr<size_t>(std::span<char>)>;

ReadFn FdReader(int fd) {
  return [fd](std::span<char> buf) -> StatusOr<size_t> {
    for (;;) {
      ssize_t n = read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus("read from input", errno);
      return static_cast<size_t>(n);
    }
  };
}

// Reads until `buf` is full or the end of the input; returns the count.
StatusOr<size_t> ReadFull(const ReadFn& read_some, std::string* buf) {
  size_t got = 0;
  while (got < buf->size()) {
    ASSIGN_OR_RETURN(size_t n, read_some(std::span<char>(buf->data() + got, buf->size() - got)));
    if (n == 0) break;
    got += n;
  }
  return got;
}

// Uploads a stream of unknown length: one PUT when it fits a part, else
// multipart with buffered parts. `before_put` may add metadata once the
// first part has been read (`whole`: nothing more follows).
StatusOr<UploadResult> UploadFromReader(
    const s3::Client& client, const ReadFn& read_some, const std::string& bucket,
    const std::string& key, TransferOptions options,
    const std::function<void(bool whole, TransferOptions*)>& before_put = {});

StatusOr<UploadResult> UploadZstd(const s3::Client& client, int fd, std::optional<uint64_t> size,
                                  const std::string& bucket, const std::string& key,
                                  const TransferOptions& options);

class FdStreamSink final : public http::BodySink {
 public:
  explicit FdStreamSink(int fd) : fd_(fd) {}
  Status Write(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus("write to output", errno);
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

 private:
  int fd_;
};

Status CheckDownload(const std::string& what, uint64_t got, uint64_t want,
                     std::optional<hash::Md5Digest> md5, std::string_view etag) {
  if (got != want) {
    return DataLoss(what + ": received " + std::to_string(got) + " bytes, expected " +
                    std::to_string(want));
  }
  if (md5 && EtagIsMd5(etag) && Hex(*md5) != etag) {
    return DataLoss(what + ": content MD5 " + Hex(*md5) + " does not match the ETag " +
                    std::string(etag));
  }
  return Status::Ok();
}

// Fails with a clear message when the file system of `fd` has less room
// than `more` bytes still to come (a size a gateway claims is checked before
// anything is written for it, not discovered by a full disk).
Status CheckRoom(int fd, uint64_t more, const std::string& path, const std::string& what) {
  struct statvfs fs {};
  if (fstatvfs(fd, &fs) != 0) return Status::Ok();  // cannot tell: the writes will say
  uint64_t room = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (more <= room) return Status::Ok();
  return Status(StatusCode::kResourceExhausted, what + ": not enough space for '" + path +
                                                    "': " + FormatSize(more) + " still to write, " +
                                                    FormatSize(room) + " free");
}

}  // namespace

uint64_t PartSizeFor(uint64_t size, uint64_t wanted) {
  uint64_t part = std::max(wanted, kMinPartSize);
  if ((size + part - 1) / part > kMaxParts) {
    uint64_t mib = 1ull << 20;
    part = ((size + kMaxParts - 1) / kMaxParts + mib - 1) / mib * mib;
  }
  return part;
}

std::string MultipartEtag(const std::vector<hash::Md5Digest>& part_md5s) {
  std::string concat;
  for (const auto& d : part_md5s) concat.append(reinterpret_cast<const char*>(d.data()), d.size());
  return Hex(hash::Md5(concat)) + "-" + std::to_string(part_md5s.size());
}

bool EtagIsMd5(std::string_view etag) {
  return etag.size() == 32 && std::all_of(etag.begin(), etag.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

StatusOr<UploadResult> UploadFile(const s3::Client& client, const std::string& path,
                                  const std::string& bucket, const std::string& key,
                                  const TransferOptions& options) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus("cannot read '" + path + "'", errno);
  struct stat before {};
  if (fstat(fd.get(), &before) != 0) return ErrnoStatus("cannot stat '" + path + "'", errno);
  if (S_ISDIR(before.st_mode)) return InvalidArgument("'" + path + "' is a directory");
  if (!S_ISREG(before.st_mode)) return UploadStream(client, fd.get(), bucket, key, options);
  uint64_t size = static_cast<uint64_t>(before.st_size);
  if (options.zstd_level > 0) return UploadZstd(client, fd.get(), size, bucket, key, options);

  StatusOr<UploadResult> result = Status(StatusCode::kUnknown, "");
  uint64_t part_size = PartSizeFor(size, options.part_size);
  bool multipart = size >= options.multipart_threshold;
  if (!multipart) {
    auto md5 = Md5OfRange(fd.get(), 0, size);
    if (!md5.ok()) return md5.status().Annotate(path);
    result = PutWhole(client, bucket, key, options,
                      std::make_shared<http::FileRangeSource>(fd.get(), 0, size), *md5);
    if (!result.ok() && result.status().http_status() == 413 && size > kMinPartSize) {
      // A proxy's body-size limit: send it in parts below the size refused.
      multipart = true;
      part_size = PartSizeFor(size, std::min(part_size, size / 2 / kMiB * kMiB));
    }
  }
  while (multipart) {
    int64_t mtime_ns =
        static_cast<int64_t>(before.st_mtim.tv_sec) * 1000000000 + before.st_mtim.tv_nsec;
    UploadCheckpoint cp;
    std::map<int, std::string> sent = ResumableParts(client, bucket, key, options.checkpoint.get(),
                                                     size, mtime_ns, part_size, &cp);
    std::mutex cp_mu;
    auto on_part = [&](const std::string& id, int number, const std::string& md5) {
      if (!options.checkpoint) return;
      std::lock_guard lock(cp_mu);
      cp.upload_id = id;
      if (number > 0) cp.part_md5s[number] = md5;
      options.checkpoint->save(cp);
    };
    uint64_t offset = 0;
    int number = 0;
    result = UploadParts(
        client, bucket, key, options,
        [&](hash::Md5Digest* md5) -> StatusOr<std::shared_ptr<http::BodySource>> {
          if (offset >= size) return std::shared_ptr<http::BodySource>();
          uint64_t len = std::min(part_size, size - offset);
          ++number;
          std::shared_ptr<http::BodySource> body;
          std::string digest;
          if (auto it = sent.find(number);
              it != sent.end() && hash::FromHex(it->second, &digest) && digest.size() == 16) {
            std::copy(digest.begin(), digest.end(), md5->begin());
            body = std::make_shared<SentPart>(len);
          } else {
            ASSIGN_OR_RETURN(*md5, Md5OfRange(fd.get(), offset, len));
            body = std::make_shared<http::FileRangeSource>(fd.get(), offset, len);
          }
          offset += len;
          return body;
        },
        cp.upload_id, on_part);
    if (result.ok()) {
      if (options.checkpoint) options.checkpoint->clear();
      break;
    }
    if (result.status().http_status() != 413 || part_size <= kMinPartSize) {
      if (result.status().http_status() == 413) {
        return Status(StatusCode::kResourceExhausted,
                      "s3://" + bucket + "/" + key +
                          ": the gateway refuses request bodies of 5 MiB (HTTP 413), the "
                          "smallest part S3 multipart uploads allow");
      }
      break;
    }
    // Parts too large for a proxy: drop this upload, halve the parts, again.
    if (!cp.upload_id.empty()) Abort(client, bucket, key, cp.upload_id);
    if (options.checkpoint) options.checkpoint->clear();
    part_size = std::max(kMinPartSize, part_size / 2 / kMiB * kMiB);
  }
  if (!result.ok()) return result;
  struct stat after {};
  if (fstat(fd.get(), &after) == 0 &&
      (after.st_size != before.st_size || after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
       after.st_mtim.tv_nsec != before.st_mtim.tv_nsec)) {
    return DataLoss("'" + path + "' changed while it was read");
  }
  return result;
}

namespace {

StatusOr<UploadResult> UploadFromReader(
    const s3::Client& client, const ReadFn& read_some, const std::string& bucket,
    const std::string& key, TransferOptions options,
    const std::function<void(bool whole, TransferOptions*)>& before_put) {
  uint64_t part_size = std::max(options.part_size, kMinPartSize);
  auto first = std::make_shared<std::string>(part_size, '\0');
  ASSIGN_OR_RETURN(size_t n, ReadFull(read_some, first.get()));
  if (before_put) before_put(n < part_size, &options);
  if (n < part_size) {  // it all fits in one request
    first->resize(n);
    hash::Md5Digest md5 = hash::Md5(*first);
    return PutWhole(client, bucket, key, options,
                    std::make_shared<http::StringSource>(std::move(*first)), md5);
  }
  bool have_first = true, at_end = false;
  return UploadParts(client, bucket, key, options,
                     [&](hash::Md5Digest* md5) -> StatusOr<std::shared_ptr<http::BodySource>> {
                       std::string buf;
                       if (have_first) {
                         buf = std::move(*first);
                         have_first = false;
                       } else {
                         if (at_end) return std::shared_ptr<http::BodySource>();
                         buf.resize(part_size);
                         ASSIGN_OR_RETURN(size_t got, ReadFull(read_some, &buf));
                         buf.resize(got);
                         if (got < part_size) at_end = true;
                         if (got == 0) return std::shared_ptr<http::BodySource>();
                       }
                       *md5 = hash::Md5(buf);
                       return std::shared_ptr<http::BodySource>(
                           std::make_shared<http::StringSource>(std::move(buf)));
                     });
}

namespace {

// A download of an object whose ETag and size the listing gave, part by
// part, into a temporary file that records its progress: adopted from a
// killed run when there is one, so only what is missing is fetched.
StatusOr<DownloadResult> DownloadResumable(const s3::Client& client, const std::string& bucket,
                                           const std::string& key, std::unique_ptr<TempFile> fresh,
                                           const TransferOptions& options, uint64_t part_size) {
  const std::string what = "s3://" + bucket + "/" + key;
  const uint64_t size = options.expected_size;
  ResumeRecord record;
  // A partial a killed run left beside it, in the same (safely opened)
  // folder, wins over the fresh temporary file, which then goes.
  std::unique_ptr<TempFile> tmp =
      AdoptPartial(*fresh, options.expected_etag, size, part_size, &record);
  if (!tmp) {
    tmp = std::move(fresh);
    record.etag = options.expected_etag;
    record.size = size;
    record.part_size = part_size;
    record.written.assign((size + part_size - 1) / part_size, 0);
  }
  uint64_t have_all = 0;
  for (uint64_t w : record.written) have_all += w;
  RETURN_IF_ERROR(CheckRoom(tmp->fd(), size - have_all, tmp->path(), what));
  auto tracker = std::make_shared<ResumeTracker>(tmp->fd(), record);
  tracker->Save();

  std::mutex mu;
  std::optional<s3::ObjectHead> head;
  Window window(options.parallel);
  std::vector<std::shared_ptr<TrackingSink>> sinks;
  std::vector<uint64_t> wanted;
  for (size_t part = 0; part < record.written.size(); ++part) {
    uint64_t offset = part * part_size;
    uint64_t len = std::min(part_size, size - offset);
    uint64_t have = record.written[part];
    if (have >= len) continue;
    if (!window.Acquire()) break;
    auto sink = std::make_shared<TrackingSink>(
        std::make_shared<http::FileSink>(tmp->fd(), offset + have), tracker, part, have);
    sinks.push_back(sink);
    wanted.push_back(len - have);
    s3::GetOptions get;
    get.range = s3::ByteRange{offset + have, offset + len - 1};
    get.if_match = options.expected_etag;  // a changed object starts over
    client.GetObject(bucket, key, get, sink,
                     [&, sink, want = len - have, offset](StatusOr<s3::ObjectHead> r) {
                       Status s = r.status();
                       if (s.ok() && sink->written() != want) {
                         s = DataLoss(what + ": short range at byte " + std::to_string(offset));
                       }
                       if (s.ok()) {
                         std::lock_guard lock(mu);
                         if (!head) head = *r;
                       }
                       if (s.ok() && options.on_bytes) options.on_bytes(sink->written());
                       window.Release(std::move(s));
                     });
  }
  RETURN_IF_ERROR(window.Drain());
  if (!head) {
    // Everything was on disk already: the attributes still come from the
    // object, which must be the same version.
    auto h = s3::Wait<s3::ObjectHead>([&](auto done) { client.HeadObject(bucket, key, done); });
    if (!h.ok()) return h.status();
    if (h->etag != options.expected_etag) {
      return Status(StatusCode::kFailedPrecondition, what + ": changed while it was downloaded");
    }
    head = *h;
  }
  struct stat st {};
  if (fstat(tmp->fd(), &st) != 0) return ErrnoStatus("cannot stat '" + tmp->path() + "'", errno);
  std::optional<hash::Md5Digest> md5;
  if (EtagIsMd5(head->etag)) {
    ASSIGN_OR_RETURN(md5, Md5OfRange(tmp->fd(), 0, size));
  }
  RETURN_IF_ERROR(
      CheckDownload(what, static_cast<uint64_t>(st.st_size), head->size, md5, head->etag));
  DownloadResult result{head->size, head->etag, md5.has_value(), *head};
  ClearResume(tmp->fd());
  // Created 0600 while written; a new file's mode once complete.
  if (fchmod(tmp->fd(), DefaultFileMode()) != 0)
    return ErrnoStatus("chmod '" + tmp->path() + "'", errno);
  if (options.before_commit) options.before_commit(tmp->fd(), *head);
  RETURN_IF_ERROR(tmp->Commit());
  return result;
}

}  // namespace

// Compresses `fd` with zstd on the way: the object is marked, and carries
// the uncompressed size when it is known before the upload starts (`size`,
// or a stream that fits one request).
StatusOr<UploadResult> UploadZstd(const s3::Client& client, int fd, std::optional<uint64_t> size,
                                  const std::string& bucket, const std::string& key,
                                  const TransferOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<ZstdReader> zstd, ZstdReader::Create(fd, options.zstd_level));
  TransferOptions o = options;
  o.metadata[kCompressionMeta] = "zstd";
  if (size) o.metadata[kUncompressedSizeMeta] = std::to_string(*size);
  auto read_some = [&zstd](std::span<char> buf) { return zstd->Read(buf); };
  auto result =
      UploadFromReader(client, read_some, bucket, key, o, [&zstd](bool whole, TransferOptions* t) {
        if (whole) {
          t->metadata[kUncompressedSizeMeta] = std::to_string(zstd->consumed());
        }
      });
  if (result.ok()) result->uncompressed_size = zstd->consumed();
  return result;
}

// Streams an object marked as zstd into `out`, decompressed, checking the
// compressed bytes (length, MD5 where the ETag is one), the frames (zstd's
// checksum) and the uncompressed size where it is recorded.
StatusOr<DownloadResult> GetDecompressed(const s3::Client& client, const std::string& bucket,
                                         const std::string& key, const s3::ObjectHead& head,
                                         std::shared_ptr<http::BodySink> out,
                                         const TransferOptions& options) {
  const std::string what = "s3://" + bucket + "/" + key;
  ASSIGN_OR_RETURN(auto unzstd, ZstdDecompressSink::Create(std::move(out)));
  auto sink = std::make_shared<HashingSink>(unzstd);
  s3::GetOptions get;
  get.if_match = head.etag;
  auto got =
      s3::Wait<s3::ObjectHead>([&](auto done) { client.GetObject(bucket, key, get, sink, done); });
  if (!got.ok()) return got.status();
  if (options.on_bytes) options.on_bytes(sink->size());
  hash::Md5Digest md5 = sink->Finish();
  RETURN_IF_ERROR(CheckDownload(what, sink->size(), got->size, md5, got->etag));
  if (Status s = unzstd->Finish(); !s.ok()) return s.Annotate(what);
  auto want = got->metadata.find(kUncompressedSizeMeta);
  if (want != got->metadata.end() && want->second != std::to_string(unzstd->produced())) {
    return DataLoss(what + ": decompressed to " + std::to_string(unzstd->produced()) +
                    " bytes, the object records " + want->second);
  }
  DownloadResult result{unzstd->produced(), got->etag, EtagIsMd5(got->etag), *got};
  return result;
}

// The object's metadata when it is to be decompressed, else nothing. A
// HEAD the gateway refused says little (no body: no S3 error code), so the
// GET that follows reports that refusal instead; RefuseCompressed covers the
// object it then finds. A gateway that cannot be reached fails at once.
StatusOr<std::optional<s3::ObjectHead>> CompressedHead(const s3::Client& client,
                                                       const std::string& bucket,
                                                       const std::string& key,
                                                       const TransferOptions& options) {
  if (!options.decompress) return std::optional<s3::ObjectHead>();
  auto head = s3::Wait<s3::ObjectHead>([&](auto done) { client.HeadObject(bucket, key, done); });
  if (!head.ok() && head.status().http_status() == 0) return head.status();
  if (!head.ok()) return std::optional<s3::ObjectHead>();
  auto it = head->metadata.find(kCompressionMeta);
  if (it == head->metadata.end()) return std::optional<s3::ObjectHead>();
  if (it->second != "zstd") {
    return Status(StatusCode::kUnimplemented, "s3://" + bucket + "/" + key + ": compressed with '" +
                                                  it->second +
                                                  "', which gwsync cannot decompress (--raw "
                                                  "fetches it as stored)");
  }
  return std::optional<s3::ObjectHead>(*head);
}

// An object fetched as stored that turns out to be compressed (the HEAD
// before it failed, or it was replaced since) when decompression was asked.
Status RefuseCompressed(const TransferOptions& options, const s3::ObjectHead& head,
                        const std::string& what) {
  if (!options.decompress || !head.metadata.count(kCompressionMeta)) return Status::Ok();
  return Status(StatusCode::kUnavailable,
                what +
                    ": the object is compressed but came as stored (it changed during the "
                    "download?): run again, or use --raw");
}

}  // namespace

StatusOr<UploadResult> UploadStream(const s3::Client& client, int fd, const std::string& bucket,
                                    const std::string& key, const TransferOptions& options) {
  if (options.zstd_level > 0) return UploadZstd(client, fd, std::nullopt, bucket, key, options);
  return UploadFromReader(client, FdReader(fd), bucket, key, options);
}

StatusOr<DownloadResult> DownloadFile(const s3::Client& client, const std::string& bucket,
                                      const std::string& key, const std::string& path,
                                      const TransferOptions& options) {
  ASSIGN_OR_RETURN(auto tmp, TempFile::Create(path));
  return DownloadInto(client, bucket, key, std::move(tmp), options);
}

StatusOr<DownloadResult> DownloadInto(const s3::Client& client, const std::string& bucket,
                                      const std::string& key, std::unique_ptr<TempFile> tmp,
                                      const TransferOptions& options) {
  const std::string what = "s3://" + bucket + "/" + key;
  ASSIGN_OR_RETURN(std::optional<s3::ObjectHead> zstd_head,
                   CompressedHead(client, bucket, key, options));
  if (zstd_head) {
    ASSIGN_OR_RETURN(DownloadResult r,
                     GetDecompressed(client, bucket, key, *zstd_head,
                                     std::make_shared<http::FileSink>(tmp->fd(), 0), options));
    if (fchmod(tmp->fd(), DefaultFileMode()) != 0)
      return ErrnoStatus("chmod '" + tmp->path() + "'", errno);
    if (options.before_commit) options.before_commit(tmp->fd(), r.head);
    RETURN_IF_ERROR(tmp->Commit());
    return r;
  }
  uint64_t part_size = std::max<uint64_t>(options.part_size, 1 << 20);
  if (!options.expected_etag.empty() && options.expected_size > part_size &&
      (options.expected_size + part_size - 1) / part_size <= kMaxResumableParts) {
    return DownloadResumable(client, bucket, key, std::move(tmp), options, part_size);
  }

  // The first request asks for the first part only: a small object arrives
  // whole, a large one tells its size and ETag for the ranged requests.
  auto file_sink = std::make_shared<http::FileSink>(tmp->fd(), 0);
  auto sink = std::make_shared<HashingSink>(file_sink);
  s3::GetOptions first;
  first.range = s3::ByteRange{0, part_size - 1};
  auto head = s3::Wait<s3::ObjectHead>(
      [&](auto done) { client.GetObject(bucket, key, first, sink, done); });
  if (!head.ok() && head.status().s3_code() == "InvalidRange") {
    // An empty object has no byte 0.
    head =
        s3::Wait<s3::ObjectHead>([&](auto done) { client.GetObject(bucket, key, {}, sink, done); });
  }
  if (!head.ok()) return head.status();
  DownloadResult result{head->size, head->etag, false, *head};
  if (options.on_bytes) options.on_bytes(sink->size());

  std::optional<hash::Md5Digest> md5;
  if (head->size > sink->size()) {
    RETURN_IF_ERROR(CheckRoom(tmp->fd(), head->size - sink->size(), tmp->path(), what));
  }
  if (head->size <= part_size) {
    md5 = sink->Finish();
    RETURN_IF_ERROR(CheckDownload(what, sink->size(), head->size, md5, head->etag));
  } else {
    Window window(options.parallel);
    std::vector<std::shared_ptr<http::FileSink>> sinks;
    for (uint64_t offset = part_size; offset < head->size; offset += part_size) {
      if (!window.Acquire()) break;
      uint64_t last = std::min(offset + part_size, head->size) - 1;
      auto range_sink = std::make_shared<http::FileSink>(tmp->fd(), offset);
      sinks.push_back(range_sink);
      s3::GetOptions get;
      get.range = s3::ByteRange{offset, last};
      get.if_match = head->etag;  // every range from the same version of the object
      client.GetObject(
          bucket, key, get, range_sink,
          [&window, &options, range_sink, what, offset, last](StatusOr<s3::ObjectHead> r) {
            Status s = r.status();
            if (s.ok() && range_sink->written() != last - offset + 1) {
              s = DataLoss(what + ": short range at byte " + std::to_string(offset));
            }
            if (s.ok() && options.on_bytes) options.on_bytes(range_sink->written());
            window.Release(std::move(s));
          });
    }
    RETURN_IF_ERROR(window.Drain());
    uint64_t total = sink->size();
    for (const auto& s : sinks) total += s->written();
    if (EtagIsMd5(head->etag)) {
      ASSIGN_OR_RETURN(md5, Md5OfRange(tmp->fd(), 0, head->size));
    }
    RETURN_IF_ERROR(CheckDownload(what, total, head->size, md5, head->etag));
  }
  result.etag_verified = md5.has_value() && EtagIsMd5(head->etag);
  RETURN_IF_ERROR(RefuseCompressed(options, *head, what));
  // Created 0600 while written; a new file's mode once complete.
  if (fchmod(tmp->fd(), DefaultFileMode()) != 0)
    return ErrnoStatus("chmod '" + tmp->path() + "'", errno);
  if (options.before_commit) options.before_commit(tmp->fd(), *head);
  RETURN_IF_ERROR(tmp->Commit());
  return result;
}

StatusOr<DownloadResult> DownloadStream(const s3::Client& client, const std::string& bucket,
                                        const std::string& key, int fd,
                                        const TransferOptions& options) {
  ASSIGN_OR_RETURN(std::optional<s3::ObjectHead> zstd_head,
                   CompressedHead(client, bucket, key, options));
  if (zstd_head) {
    return GetDecompressed(client, bucket, key, *zstd_head, std::make_shared<FdStreamSink>(fd),
                           options);
  }
  auto sink = std::make_shared<HashingSink>(std::make_shared<FdStreamSink>(fd));
  // An open range: the 206's Content-Range tells the size and bounds the
  // body, so a gateway cannot stream on past the object's end.
  s3::GetOptions get;
  get.range = s3::ByteRange{0, s3::ByteRange::kToTheEnd};
  auto head =
      s3::Wait<s3::ObjectHead>([&](auto done) { client.GetObject(bucket, key, get, sink, done); });
  if (!head.ok() && head.status().s3_code() == "InvalidRange") {
    // An empty object has no byte 0.
    head =
        s3::Wait<s3::ObjectHead>([&](auto done) { client.GetObject(bucket, key, {}, sink, done); });
  }
  if (!head.ok()) return head.status();
  if (options.on_bytes) options.on_bytes(sink->size());
  hash::Md5Digest md5 = sink->Finish();
  RETURN_IF_ERROR(
      CheckDownload("s3://" + bucket + "/" + key, sink->size(), head->size, md5, head->etag));
  RETURN_IF_ERROR(RefuseCompressed(options, *head, "s3://" + bucket + "/" + key));
  return DownloadResult{head->size, head->etag, EtagIsMd5(head->etag), *head};
}

}  // namespace gwsync::transfer

namespace gwsync::transfer {

StatusOr<UploadResult> CopyAcross(const s3::Client& from, const std::string& src_bucket,
                                  const std::string& src_key, const s3::Client& to,
                                  const std::string& bucket, const std::string& key,
                                  const TransferOptions& options) {
  const std::string what = "s3://" + src_bucket + "/" + src_key;
  auto head =
      s3::Wait<s3::ObjectHead>([&](auto done) { from.HeadObject(src_bucket, src_key, done); });
  if (!head.ok()) return head.status();
  TransferOptions t = options;
  t.metadata = head->metadata;
  if (t.content_type.empty()) t.content_type = head->content_type;

  // Reads [first, first+len) of this version of the object into memory.
  auto fetch = [&](uint64_t first, uint64_t len) -> StatusOr<std::string> {
    auto sink = std::make_shared<http::StringSink>();
    s3::GetOptions get;
    if (len > 0) get.range = s3::ByteRange{first, first + len - 1};
    get.expected_size = len;  // held in memory: never more than asked for
    get.if_match = head->etag;
    auto got = s3::Wait<s3::ObjectHead>(
        [&](auto done) { from.GetObject(src_bucket, src_key, get, sink, done); });
    if (!got.ok()) return got.status();
    if (sink->data().size() != len) {
      return DataLoss(what + ": received " + std::to_string(sink->data().size()) +
                      " bytes, expected " + std::to_string(len));
    }
    return std::move(sink->data());
  };

  if (head->size < t.multipart_threshold) {
    ASSIGN_OR_RETURN(std::string data, fetch(0, head->size));
    hash::Md5Digest md5 = hash::Md5(data);
    if (EtagIsMd5(head->etag) && Hex(md5) != head->etag) {
      return DataLoss(what + ": content MD5 does not match the ETag " + head->etag);
    }
    return PutWhole(to, bucket, key, t, std::make_shared<http::StringSource>(std::move(data)), md5);
  }
  uint64_t part = PartSizeFor(head->size, t.part_size), offset = 0;
  return UploadParts(to, bucket, key, t,
                     [&](hash::Md5Digest* md5) -> StatusOr<std::shared_ptr<http::BodySource>> {
                       if (offset >= head->size) return std::shared_ptr<http::BodySource>();
                       uint64_t len = std::min(part, head->size - offset);
                       ASSIGN_OR_RETURN(std::string data, fetch(offset, len));
                       offset += len;
                       *md5 = hash::Md5(data);
                       return std::shared_ptr<http::BodySource>(
                           std::make_shared<http::StringSource>(std::move(data)));
                     });
}

}  // namespace gwsync::transfer
