#include "transfer/object_transfer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "gwsync/units.h"
#include "hash/hash.h"
#include "http/bodies.h"
#include "transfer/files.h"
#include "transfer/machine.h"
#include "transfer/zstd_stream.h"

namespace gwsync::transfer {

namespace internal {

Status CheckEtag(std::string_view got, std::string_view want, const std::string& what) {
  if (got == want) return Status::Ok();
  return DataLoss(what + ": the gateway reports ETag '" + std::string(got) + "', expected '" +
                  std::string(want) + "'");
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

void AbortLater(const s3::Client& client, const std::string& bucket, const std::string& key,
                const std::string& upload_id) {
  client.AbortMultipartUpload(bucket, key, upload_id, [](Status) {});
}

ReadFn FdReader(int fd) {
  return [fd](std::span<char> buf) -> StatusOr<size_t> {
    for (;;) {
      ssize_t n = read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fileio::ErrnoStatus("read from input", errno);
      return static_cast<size_t>(n);
    }
  };
}

StatusOr<size_t> ReadFull(const ReadFn& read_some, std::string* buf) {
  size_t got = 0;
  while (got < buf->size()) {
    ASSIGN_OR_RETURN(size_t n, read_some(std::span<char>(buf->data() + got, buf->size() - got)));
    if (n == 0) break;
    got += n;
  }
  return got;
}

}  // namespace internal

namespace {

using internal::kMaxParts;
using internal::kMinPartSize;

class FdStreamSink final : public http::BodySink {
 public:
  explicit FdStreamSink(int fd) : fd_(fd) {}
  Status Write(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fileio::ErrnoStatus("write to output", errno);
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

 private:
  int fd_;
};

// Uploads a stream of unknown length: one PUT when it fits a part, else
// multipart with buffered parts. `before_put` may add metadata once the
// first part has been read (`whole`: nothing more follows).
StatusOr<UploadResult> UploadFromReader(
    const s3::Client& client, internal::ReadFn read_some, const std::string& bucket,
    const std::string& key, TransferOptions options,
    const std::function<void(bool whole, TransferOptions*)>& before_put = {}) {
  internal::CallWorkers workers(&options);
  uint64_t part_size = std::max(options.part_size, kMinPartSize);
  std::string first(part_size, '\0');
  ASSIGN_OR_RETURN(size_t n, internal::ReadFull(read_some, &first));
  first.resize(n);
  const bool whole = n < part_size;
  if (before_put) before_put(whole, &options);
  if (!whole) internal::RecordLayout(internal::StreamLayout(options), &options.metadata);
  return s3::Wait<UploadResult>([&](auto done) {
    internal::StartUploadStream(client, read_some, std::move(first), whole, bucket, key, options,
                                internal::StreamLayout(options), done);
  });
}

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
  ZstdReader* z = zstd.get();
  auto read_some = [z](std::span<char> buf) { return z->Read(buf); };
  auto result =
      UploadFromReader(client, read_some, bucket, key, o, [z](bool whole, TransferOptions* t) {
        if (whole) t->metadata[kUncompressedSizeMeta] = std::to_string(z->consumed());
      });
  if (result.ok()) result->uncompressed_size = zstd->consumed();
  return result;
}

// Streams the object `head` describes into `out` (decompressed when `unzstd`
// is set), checking the stored bytes against its ETag as they pass (etag.h:
// the MD5, or the multipart ETag at the part layout the object records or at
// the candidate part sizes). A difference is an error, though the bytes have
// gone on already: the caller must say that what it wrote is not the object.
StatusOr<DownloadResult> StreamChecked(const s3::Client& client, const std::string& bucket,
                                       const std::string& key, const s3::ObjectHead& head,
                                       std::shared_ptr<http::BodySink> out, bool unzstd,
                                       const TransferOptions& options) {
  const std::string what = internal::What(bucket, key);
  std::shared_ptr<ZstdDecompressSink> zstd;
  if (unzstd) {
    ASSIGN_OR_RETURN(zstd, ZstdDecompressSink::Create(out));
    out = zstd;
  }
  auto check =
      std::make_shared<ContentCheck>(head.etag, head.size, RecordedLayout(head), options.part_size);
  auto sink = std::make_shared<CheckingSink>(std::move(out), check);
  s3::GetOptions get;
  get.if_match = head.etag;
  // A range bounds the body by its Content-Range as well; an empty object has no byte 0.
  if (head.size > 0) get.range = s3::ByteRange{0, head.size - 1};
  get.expected_size = head.size;
  auto got =
      s3::Wait<s3::ObjectHead>([&](auto done) { client.GetObject(bucket, key, get, sink, done); });
  if (!got.ok()) return got.status();
  if (options.on_bytes) options.on_bytes(head.size);
  CheckResult verdict = check->Finish();
  if (verdict.verdict == Verdict::kDifferent) {
    return DataLoss(what + ": " + verdict.why + "; what was written is not the object");
  }
  DownloadResult result;
  result.size = head.size;
  result.etag = head.etag;
  result.verdict = verdict.verdict;
  result.why = verdict.why;
  result.head = *got;
  if (zstd) {
    if (Status s = zstd->Finish(); !s.ok()) return s.Annotate(what);
    auto want = head.metadata.find(kUncompressedSizeMeta);
    if (want != head.metadata.end() && want->second != std::to_string(zstd->produced())) {
      return DataLoss(what + ": decompressed to " + std::to_string(zstd->produced()) +
                      " bytes, the object records " + want->second);
    }
    result.size = zstd->produced();
  }
  return result;
}

// The object's HEAD. A HEAD the gateway refused says little (no body: no S3
// error code), so a one-byte GET asks again for the gateway's reason.
StatusOr<s3::ObjectHead> HeadForGet(const s3::Client& client, const std::string& bucket,
                                    const std::string& key) {
  auto head = s3::Wait<s3::ObjectHead>([&](auto done) { client.HeadObject(bucket, key, done); });
  if (head.ok() || head.status().http_status() == 0) return head;
  s3::GetOptions get;
  get.range = s3::ByteRange{0, 0};
  auto why = s3::Wait<s3::ObjectHead>([&](auto done) {
    client.GetObject(bucket, key, get, std::make_shared<http::StringSink>(), done);
  });
  return why.ok() ? head : why;
}

// An object to decompress must be zstd, the one kind gwsync writes.
Status CanDecompress(const s3::ObjectHead& head, const std::string& what) {
  auto it = head.metadata.find(kCompressionMeta);
  if (it == head.metadata.end() || it->second == "zstd") return Status::Ok();
  return Status(StatusCode::kUnimplemented, what + ": compressed with '" + it->second +
                                                "', which gwsync cannot decompress (--raw "
                                                "fetches it as stored)");
}

// An object fetched as stored that turns out to be compressed (it was
// replaced since its HEAD) when decompression was asked.
Status RefuseCompressed(const TransferOptions& options, const s3::ObjectHead& head,
                        const std::string& what) {
  if (!options.decompress || !head.metadata.count(kCompressionMeta)) return Status::Ok();
  return Status(StatusCode::kUnavailable,
                what +
                    ": the object is compressed but came as stored (it changed during the "
                    "download?): run again, or use --raw");
}

// A complete, checked download in `tmp` accepted (options.accept), given a
// new file's mode (it was created 0600 while written) and before_commit's
// word, then renamed into place.
Status Commit(const DownloadResult& r, fileio::TempFile* tmp, const std::string& what,
              const TransferOptions& options) {
  if (options.accept) RETURN_IF_ERROR(options.accept(r).Annotate(what));
  if (fchmod(tmp->fd(), fileio::DefaultFileMode()) != 0)
    return fileio::ErrnoStatus("chmod '" + tmp->path() + "'", errno);
  if (options.before_commit) options.before_commit(tmp->fd(), r.head);
  return tmp->Commit();
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
  return hash::Hex(hash::Md5(concat)) + "-" + std::to_string(part_md5s.size());
}

bool EtagIsMd5(std::string_view etag) {
  return etag.size() == 32 && std::all_of(etag.begin(), etag.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

StatusOr<OpenedFile> OpenToUpload(const std::string& path) {
  auto fd = std::make_shared<fileio::Fd>(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd->get() < 0) return fileio::ErrnoStatus("cannot read '" + path + "'", errno);
  OpenedFile opened;
  if (fstat(fd->get(), &opened.st) != 0) {
    return fileio::ErrnoStatus("cannot stat '" + path + "'", errno);
  }
  if (S_ISDIR(opened.st.st_mode)) return InvalidArgument("'" + path + "' is a directory");
  opened.regular = S_ISREG(opened.st.st_mode);
  // The transfer takes its own fstat and checks at the end that the file
  // did not change while it was read.
  opened.file = FileToUpload{path, std::move(fd), std::nullopt, std::nullopt};
  return opened;
}

StatusOr<UploadResult> UploadFile(const s3::Client& client, const std::string& path,
                                  const std::string& bucket, const std::string& key,
                                  const TransferOptions& options) {
  ASSIGN_OR_RETURN(OpenedFile opened, OpenToUpload(path));
  const std::shared_ptr<fileio::Fd>& fd = opened.file.fd;
  if (!opened.regular) return UploadStream(client, fd->get(), bucket, key, options);
  uint64_t size = static_cast<uint64_t>(opened.st.st_size);
  if (options.zstd_level > 0) return UploadZstd(client, fd->get(), size, bucket, key, options);
  TransferOptions o = options;
  internal::CallWorkers workers(&o);
  // A copy: the file is closed here, once the upload is done, not by the transfer.
  return s3::Wait<UploadResult>(
      [&](auto done) { StartUploadFile(client, opened.file, bucket, key, o, done); });
}

StatusOr<UploadResult> UploadStream(const s3::Client& client, int fd, const std::string& bucket,
                                    const std::string& key, const TransferOptions& options) {
  if (options.zstd_level > 0) return UploadZstd(client, fd, std::nullopt, bucket, key, options);
  return UploadFromReader(client, internal::FdReader(fd), bucket, key, options);
}

StatusOr<DownloadResult> DownloadFile(const s3::Client& client, const std::string& bucket,
                                      const std::string& key, const std::string& path,
                                      const TransferOptions& options) {
  ASSIGN_OR_RETURN(auto tmp, fileio::TempFile::Create(path));
  return DownloadInto(client, bucket, key, std::move(tmp), options);
}

StatusOr<DownloadResult> DownloadInto(const s3::Client& client, const std::string& bucket,
                                      const std::string& key, std::unique_ptr<fileio::TempFile> tmp,
                                      const TransferOptions& options) {
  const std::string what = internal::What(bucket, key);
  if (options.decompress) {
    // Whether to decompress is in the object's metadata: asked first.
    ASSIGN_OR_RETURN(s3::ObjectHead head, HeadForGet(client, bucket, key));
    if (head.metadata.count(kCompressionMeta)) {
      RETURN_IF_ERROR(CanDecompress(head, what));
      ASSIGN_OR_RETURN(
          DownloadResult r,
          StreamChecked(client, bucket, key, head, std::make_shared<http::FileSink>(tmp->fd(), 0),
                        /*unzstd=*/true, options));
      RETURN_IF_ERROR(Commit(r, tmp.get(), what, options));
      return r;
    }
  }
  TransferOptions o = options;
  internal::CallWorkers workers(&o);
  std::shared_ptr<fileio::TempFile> file = std::move(tmp);
  auto got = s3::Wait<DownloadResult>(
      [&](auto done) { StartDownload(client, bucket, key, file, o, done); });
  return FinishDownload(std::move(got), std::move(file), bucket, key, options);
}

StatusOr<DownloadResult> FinishDownload(StatusOr<DownloadResult> got,
                                        std::shared_ptr<fileio::TempFile> tmp,
                                        const std::string& bucket, const std::string& key,
                                        const TransferOptions& options) {
  tmp.reset();  // a partial adopted instead is the result's temp; this one goes
  if (!got.ok()) return got.status();
  DownloadResult& r = *got;
  const std::string what = internal::What(bucket, key);
  RETURN_IF_ERROR(RefuseCompressed(options, r.head, what));
  RETURN_IF_ERROR(Commit(r, r.temp.get(), what, options));
  r.temp.reset();
  return got;
}

StatusOr<DownloadResult> DownloadStream(const s3::Client& client, const std::string& bucket,
                                        const std::string& key, int fd,
                                        const TransferOptions& options) {
  const std::string what = internal::What(bucket, key);
  // The ETag, size and part layout first, so that the bytes are checked as
  // they stream out (StreamChecked).
  ASSIGN_OR_RETURN(s3::ObjectHead head, HeadForGet(client, bucket, key));
  const bool unzstd = options.decompress && head.metadata.count(kCompressionMeta);
  if (unzstd) RETURN_IF_ERROR(CanDecompress(head, what));
  ASSIGN_OR_RETURN(DownloadResult r,
                   StreamChecked(client, bucket, key, head, std::make_shared<FdStreamSink>(fd),
                                 unzstd, options));
  if (!unzstd) RETURN_IF_ERROR(RefuseCompressed(options, r.head, what));
  return r;
}

StatusOr<UploadResult> CopyObject(const s3::Client& from, const std::string& src_bucket,
                                  const std::string& src_key, const s3::Client& to,
                                  const std::string& bucket, const std::string& key,
                                  const TransferOptions& options) {
  TransferOptions o = options;
  internal::CallWorkers workers(&o);
  return s3::Wait<UploadResult>(
      [&](auto done) { StartCopy(from, src_bucket, src_key, to, bucket, key, o, done); });
}

}  // namespace gwsync::transfer
