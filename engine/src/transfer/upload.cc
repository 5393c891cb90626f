// Uploads of files and streams: their part producers, and a file's upload
// (PUT or multipart, resumed from its checkpoint, parts shrunk on a 413).
// The PUT and the multipart machine themselves are in multipart.cc.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>

#include "http/bodies.h"
#include "transfer/machine.h"

namespace gwsync::transfer {

using internal::kMaxParts;
using internal::kMiB;
using internal::kMinPartSize;
using internal::Part;
using internal::PartProducer;
using internal::What;

namespace {

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

// The parts of an open file: hashed on workers (the file's xxh3 taken in
// the same reads, `xxh3`), read by the transport as they are sent (no
// buffer), the ones in `sent` only counted.
class FileParts final : public PartProducer {
 public:
  FileParts(std::shared_ptr<fileio::Fd> fd, uint64_t size, uint64_t part_size,
            std::map<int, std::string> sent, std::shared_ptr<PartsXxh3> xxh3,
            util::Workers* workers)
      : fd_(std::move(fd)),
        size_(size),
        layout_{part_size, 0},
        sent_(std::move(sent)),
        xxh3_(std::move(xxh3)),
        workers_(workers) {}
  bool concurrent() const override { return true; }
  void Next(int number, std::function<void(StatusOr<Part>)> done) override {
    uint64_t offset = 0, len = 0;
    if (!internal::PartBounds(number, layout_, size_, &offset, &len)) return done(Part{});
    std::string digest;
    if (auto it = sent_.find(number);
        it != sent_.end() && hash::FromHex(it->second, &digest) && digest.size() == 16) {
      Part p;
      p.body = std::make_shared<SentPart>(len);
      std::copy(digest.begin(), digest.end(), p.md5.begin());
      p.size = len;
      p.already_sent = true;
      return done(p);  // at once: RunMultipart's pump is a trampoline
    }
    workers_->Run([fd = fd_, xxh3 = xxh3_, number, offset, len, done = std::move(done)] {
      auto md5 = xxh3->Md5OfPart(static_cast<size_t>(number - 1));
      if (!md5.ok()) return done(md5.status());
      Part p;
      p.body = std::make_shared<http::FileRangeSource>(fd->get(), offset, len);
      p.md5 = *md5;
      p.size = len;
      done(p);
    });
  }

 private:
  std::shared_ptr<fileio::Fd> fd_;
  uint64_t size_;
  PartLayout layout_;
  std::map<int, std::string> sent_;
  std::shared_ptr<PartsXxh3> xxh3_;
  util::Workers* workers_;
};

// Bounds the bytes a stream's parts hold while they are read and sent: a
// part is read once its length fits beside the parts not yet sent, within
// max(`bytes`, twice the part), so parts grown past the budget still
// overlap the reading of one with the sending of another. One waiter at a
// time (a stream's parts are read in order); any thread.
class StreamBudget {
 public:
  explicit StreamBudget(uint64_t bytes) : bytes_(bytes) {}
  void Acquire(uint64_t len, std::function<void()> go) {
    {
      std::lock_guard lock(mu_);
      if (!Fits(len)) {
        waiting_len_ = len;
        waiting_ = std::move(go);
        return;
      }
      held_ += len;
    }
    go();
  }
  void Release(uint64_t len) {
    std::function<void()> go;
    {
      std::lock_guard lock(mu_);
      held_ -= len;
      if (waiting_ && Fits(waiting_len_)) {
        held_ += waiting_len_;
        go = std::move(waiting_);
        waiting_ = nullptr;
      }
    }
    if (go) go();
  }

 private:
  bool Fits(uint64_t len) const { return held_ == 0 || held_ + len <= std::max(bytes_, 2 * len); }
  const uint64_t bytes_;
  std::mutex mu_;
  uint64_t held_ = 0;
  uint64_t waiting_len_ = 0;
  std::function<void()> waiting_;
};

// A part of a stream in memory, its bytes given back to the budget when
// the upload lets go of it.
class StreamPartSource final : public http::BodySource {
 public:
  StreamPartSource(std::string data, std::shared_ptr<StreamBudget> budget, uint64_t held)
      : inner_(std::move(data)), budget_(std::move(budget)), held_(held) {}
  ~StreamPartSource() override { budget_->Release(held_); }
  uint64_t size() const override { return inner_.size(); }
  StatusOr<size_t> Read(std::span<char> buf) override { return inner_.Read(buf); }
  Status Rewind() override { return inner_.Rewind(); }

 private:
  http::StringSource inner_;
  std::shared_ptr<StreamBudget> budget_;
  uint64_t held_;
};

// The parts of a stream (a pipe, stdin, a compressor) of unknown length,
// read one after another on a worker into buffers, cut by `layout` (parts
// that grow, so that a stream of S3's largest object fits in its 10,000
// parts), within a StreamBudget of (parallel + 1) x the first part size.
// `first` is what was read before the upload began (part 1).
class StreamParts final : public PartProducer {
 public:
  StreamParts(internal::ReadFn read, std::string first, PartLayout layout, int parallel,
              util::Workers* workers)
      : read_(std::move(read)),
        first_(std::move(first)),
        layout_(layout),
        budget_(std::make_shared<StreamBudget>(static_cast<uint64_t>(std::max(1, parallel) + 1) *
                                               layout.size)),
        workers_(workers) {}
  bool concurrent() const override { return false; }
  void Next(int number, std::function<void(StatusOr<Part>)> done) override {
    if (at_end_) return done(Part{});
    if (number > kMaxParts) {
      // Past S3's last part: one byte more says whether the stream is over.
      char c;
      auto got = read_(std::span<char>(&c, 1));
      if (!got.ok()) return done(got.status());
      if (*got == 0) return done(Part{});
      Part p;
      p.body = std::make_shared<http::StringSource>(std::string(1, c));
      p.size = 1;
      return done(p);  // the machine refuses it: more than 10,000 parts
    }
    const uint64_t len =
        number == 1 ? first_.size() : layout_.PartSize(static_cast<uint64_t>(number));
    budget_->Acquire(len, [this, number, len, done = std::move(done)]() mutable {
      workers_->Run([this, number, len, done = std::move(done)] { Read(number, len, done); });
    });
  }

 private:
  // On a worker, with `len` bytes of the budget held.
  void Read(int number, uint64_t len, const std::function<void(StatusOr<Part>)>& done) {
    std::string buf;
    if (number == 1) {
      buf = std::move(first_);
    } else {
      buf.resize(len);
      auto got = internal::ReadFull(read_, &buf);
      if (!got.ok()) {
        budget_->Release(len);
        return done(got.status());
      }
      buf.resize(*got);
    }
    if (buf.size() < len || (number == 1 && len < layout_.size)) at_end_ = true;
    if (buf.empty()) {
      budget_->Release(len);
      return done(Part{});
    }
    Part p;
    p.md5 = hash::Md5(buf);
    p.size = buf.size();
    p.body = std::make_shared<StreamPartSource>(std::move(buf), budget_, len);
    done(p);
  }

  internal::ReadFn read_;
  std::string first_;
  const PartLayout layout_;
  std::shared_ptr<StreamBudget> budget_;
  std::atomic<bool> at_end_{false};  // set by the worker reading, read by Next after it
  util::Workers* workers_;
};

// Why a 413 for parts of `part_size` ends a file's upload of `size` bytes.
std::string TooLarge(uint64_t part_size, uint64_t size) {
  if (part_size <= kMinPartSize) {
    return "the gateway refuses request bodies of 5 MiB (HTTP 413), the smallest part S3 "
           "multipart uploads allow";
  }
  return "the gateway refuses request bodies of " + std::to_string(part_size / kMiB) +
         " MiB (HTTP 413), and " + std::to_string(size) + " bytes need parts at least that " +
         "large to fit in " + std::to_string(kMaxParts) + " parts (S3's limit)";
}

// A file's upload: a PUT below the threshold, else a multipart upload that
// resumes from the checkpoint store and shrinks its parts while a proxy
// refuses them (413). Runs on workers and completions.
class FileUpload : public std::enable_shared_from_this<FileUpload> {
 public:
  FileUpload(const s3::Client& client, FileToUpload file, std::string bucket, std::string key,
             const TransferOptions& options, UploadDone done)
      : client_(client),
        file_(std::move(file)),
        bucket_(std::move(bucket)),
        key_(std::move(key)),
        options_(options),
        done_(std::move(done)) {}

  void Start() {
    auto self = shared_from_this();
    if (file_.fd && file_.stat) {
      before_ = *file_.stat;
      // Opened and hashed by the caller: straight to the network.
      if (file_.md5 || size() >= options_.multipart_threshold) return Decide();
    }
    options_.workers->Run([self] { self->Open(); });
  }

 private:
  uint64_t size() const { return static_cast<uint64_t>(before_.st_size); }

  // On a worker.
  void Open() {
    if (!file_.fd) {
      file_.fd = std::make_shared<fileio::Fd>(open(file_.path.c_str(), O_RDONLY | O_CLOEXEC));
      if (file_.fd->get() < 0) {
        return done_(fileio::ErrnoStatus("cannot read '" + file_.path + "'", errno));
      }
    }
    if (fstat(file_.fd->get(), &before_) != 0) {
      return done_(fileio::ErrnoStatus("cannot read '" + file_.path + "'", errno));
    }
    if (!S_ISREG(before_.st_mode)) {
      return done_(InvalidArgument("'" + file_.path + "' is not a regular file"));
    }
    if (size() < options_.multipart_threshold && !file_.md5) {
      auto md5 = Md5OfRange(file_.fd->get(), 0, size());
      if (!md5.ok()) return done_(md5.status().Annotate(file_.path));
      file_.md5 = *md5;
    }
    Decide();
  }

  void Decide() {
    part_size_ = PartSizeFor(size(), options_.part_size);
    // An empty file is one PUT whatever the threshold: an upload needs a part.
    if (size() > 0 && size() >= options_.multipart_threshold) return Multipart();
    auto self = shared_from_this();
    auto body = std::make_shared<http::FileRangeSource>(file_.fd->get(), 0, size());
    internal::PutBody(
        client_, bucket_, key_, options_, body, *file_.md5, [self](StatusOr<UploadResult> r) {
          if (!r.ok() && r.status().http_status() == 413 && self->size() > kMinPartSize) {
            // A proxy's body-size limit: send it in parts below the size refused.
            self->part_size_ = PartSizeFor(
                self->size(), std::min(self->part_size_, self->size() / 2 / kMiB * kMiB));
            return self->Multipart();
          }
          self->Finished(std::move(r));
        });
  }

  // Resumes what the checkpoint store remembers (on a worker: it reads the
  // index), after confirming the parts with ListParts.
  void Multipart() {
    auto self = shared_from_this();
    options_.workers->Run([self] {
      CheckpointStore* store = self->options_.checkpoint.get();
      {
        std::lock_guard lock(self->cp_mu_);
        self->cp_ = UploadCheckpoint{};
        self->cp_.part_size = self->part_size_;
        self->cp_.file_size = self->size();
        self->cp_.file_mtime_ns = fileio::MtimeNs(self->before_);
        self->cp_.file_dev = self->before_.st_dev;
        self->cp_.file_inode = self->before_.st_ino;
        self->cp_.file_ctime_ns = fileio::CtimeNs(self->before_);
      }
      std::optional<UploadCheckpoint> old = store ? store->load() : std::nullopt;
      if (!old || old->upload_id.empty()) return self->SendParts({}, "");
      if (old->file_size != self->size() || old->file_mtime_ns != fileio::MtimeNs(self->before_) ||
          old->file_dev != self->before_.st_dev || old->file_inode != self->before_.st_ino ||
          old->file_ctime_ns != fileio::CtimeNs(self->before_) ||
          old->part_size != self->part_size_) {
        // Another file, or this one written since (or the parts changed):
        // the parts sent are not this content's, and that upload is stale.
        internal::AbortLater(self->client_, self->bucket_, self->key_, old->upload_id);
        store->clear();
        return self->SendParts({}, "");
      }
      self->ListSent(*old, 0, {});
    });
  }

  void ListSent(UploadCheckpoint old, int marker, std::map<int, std::string> listed) {
    auto self = shared_from_this();
    client_.ListParts(
        bucket_, key_, old.upload_id, marker,
        [self, old, marker, listed = std::move(listed)](StatusOr<s3::PartsPage> page) mutable {
          if (!page.ok()) {  // gone (completed, aborted, expired): start anew
            return self->options_.workers->Run([self] {
              self->options_.checkpoint->clear();
              self->SendParts({}, "");
            });
          }
          for (const auto& p : page->parts) listed[p.number] = p.etag;
          // A part marker that does not move forward, or past the last part
          // S3 allows, would list forever: resume with what is known.
          if (page->truncated && page->next_part_number_marker > marker &&
              page->next_part_number_marker < kMaxParts) {
            return self->ListSent(std::move(old), page->next_part_number_marker, std::move(listed));
          }
          std::map<int, std::string> sent;
          for (const auto& [number, md5] : old.part_md5s) {
            if (listed.count(number) && listed[number] == md5) sent[number] = md5;
          }
          self->SendParts(std::move(sent), old.upload_id);
        });
  }

  void SendParts(std::map<int, std::string> sent, std::string upload_id) {
    int generation = 0;
    {
      std::lock_guard lock(cp_mu_);
      cp_.upload_id = upload_id;
      cp_.part_md5s = sent;
      generation = generation_;
    }
    auto self = shared_from_this();
    std::function<void(const std::string&, int, const std::string&)> on_part;
    if (options_.checkpoint) {
      on_part = [self, generation](const std::string& id, int number, const std::string& md5) {
        std::lock_guard lock(self->cp_mu_);
        if (generation != self->generation_) return;  // news of an upload given up or done
        self->cp_.upload_id = id;
        if (number > 0) self->cp_.part_md5s[number] = md5;
        self->options_.checkpoint->save(self->cp_);
      };
    }
    auto xxh3 = std::make_shared<PartsXxh3>(file_.fd->get(), size(), part_size_);
    auto producer = std::make_unique<FileParts>(file_.fd, size(), part_size_, std::move(sent), xxh3,
                                                options_.workers);
    TransferOptions t = options_;
    internal::RecordLayout(PartLayout{part_size_, 0}, &t.metadata);
    internal::RunMultipart(
        client_, bucket_, key_, t, std::move(producer), upload_id, std::nullopt, on_part,
        [self, xxh3](StatusOr<UploadResult> r) {
          // Parts an earlier run sent were not read: no xxh3 then.
          if (r.ok()) r->xxh3 = xxh3->FinishIfFed().value_or("");
          if (r.ok() || r.status().http_status() != 413) {
            if (!r.ok() || !self->options_.checkpoint) return self->Finished(std::move(r));
            return self->options_.workers->Run([self, r = std::move(r)]() mutable {
              {
                std::lock_guard lock(self->cp_mu_);
                ++self->generation_;
                self->options_.checkpoint->clear();
              }
              self->Finished(std::move(r));
            });
          }
          // Half the refused size, in whole MiB, within S3's 10,000 parts.
          const uint64_t smaller =
              PartSizeFor(self->size(), std::max(kMinPartSize, self->part_size_ / 2 / kMiB * kMiB));
          if (smaller >= self->part_size_) {
            return self->Finished(Status(
                StatusCode::kResourceExhausted,
                What(self->bucket_, self->key_) + ": " + TooLarge(self->part_size_, self->size())));
          }
          // Parts too large for a proxy: drop this upload, halve the parts, again.
          self->options_.workers->Run([self, smaller] {
            {
              std::lock_guard lock(self->cp_mu_);
              ++self->generation_;
              if (!self->cp_.upload_id.empty()) {
                internal::AbortLater(self->client_, self->bucket_, self->key_, self->cp_.upload_id);
              }
              if (self->options_.checkpoint) self->options_.checkpoint->clear();
            }
            self->part_size_ = smaller;
            self->Multipart();
          });
        });
  }

  // A file that changed while it was read is not reported as sent.
  // A failure it caused (the gateway's BadDigest for a part that changed
  // between its hash and its send) is said as the change, its cause.
  void Finished(StatusOr<UploadResult> r) {
    if (file_.stat) return done_(std::move(r));  // the caller checks
    struct stat after {};
    if (fstat(file_.fd->get(), &after) == 0 &&
        (after.st_size != before_.st_size || fileio::MtimeNs(after) != fileio::MtimeNs(before_) ||
         fileio::CtimeNs(after) != fileio::CtimeNs(before_))) {
      const std::string why = "'" + file_.path + "' changed while it was read";
      return done_(DataLoss(r.ok() ? why : why + " (" + r.status().message() + ")"));
    }
    done_(std::move(r));
  }

  const s3::Client& client_;
  FileToUpload file_;
  const std::string bucket_, key_;
  TransferOptions options_;
  UploadDone done_;
  struct stat before_ {};
  uint64_t part_size_ = 0;
  std::mutex cp_mu_;  // guards cp_ and generation_, and orders the checkpoint's writes
  UploadCheckpoint cp_;
  int generation_ = 0;  // bumped when an upload is given up or done: its late news is dropped
};

}  // namespace

void StartUploadFile(const s3::Client& client, FileToUpload file, const std::string& bucket,
                     const std::string& key, const TransferOptions& options, UploadDone done) {
  std::make_shared<FileUpload>(client, std::move(file), bucket, key, options, std::move(done))
      ->Start();
}

void StartPutBody(const s3::Client& client, std::string body, const std::string& bucket,
                  const std::string& key, const TransferOptions& options, UploadDone done,
                  std::optional<hash::Md5Digest> known) {
  hash::Md5Digest md5 = known ? *known : hash::Md5(body);
  internal::PutBody(client, bucket, key, options,
                    std::make_shared<http::StringSource>(std::move(body)), md5, std::move(done));
}

namespace internal {

// Uploads a stream of unknown length (see object_transfer.cc's
// UploadFromReader) in parts cut by `layout` (StreamLayout): `first` holds
// its first part, or all of it (`whole`).
void StartUploadStream(const s3::Client& client, ReadFn read, std::string first, bool whole,
                       const std::string& bucket, const std::string& key,
                       const TransferOptions& options, const PartLayout& layout, UploadDone done) {
  if (whole) {
    hash::Md5Digest md5 = hash::Md5(first);
    return PutBody(client, bucket, key, options,
                   std::make_shared<http::StringSource>(std::move(first)), md5, std::move(done));
  }
  auto producer = std::make_unique<StreamParts>(std::move(read), std::move(first), layout,
                                                options.parallel, options.workers);
  RunMultipart(client, bucket, key, options, std::move(producer), "", std::nullopt, {},
               std::move(done));
}

}  // namespace internal

}  // namespace gwsync::transfer
