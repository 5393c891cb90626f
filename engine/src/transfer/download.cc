// Downloads as a state machine: one GET for an object below the threshold,
// else byte ranges of part_size with `parallel` in flight over the pool's
// gateways, resumable (transfer/resume.h). Whatever the size, the file is
// then checked against the ETag: MD5 as it streams for a single GET, or
// recomputed from the file on a worker (a multipart ETag from its parts).
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <mutex>

#include "http/bodies.h"
#include "transfer/etag.h"
#include "transfer/machine.h"
#include "transfer/resume.h"

namespace gwsync::transfer {
namespace {

using internal::What;

// The smallest range a download asks for (the command line's part sizes are
// 5 MiB at least; the engine's callers may go lower).
constexpr uint64_t kMinRange = 64 << 10;

class Download : public std::enable_shared_from_this<Download> {
 public:
  Download(const s3::Client& client, std::string bucket, std::string key,
           std::shared_ptr<fileio::TempFile> tmp, const TransferOptions& options, DownloadDone done)
      : client_(client),
        bucket_(std::move(bucket)),
        key_(std::move(key)),
        what_(What(bucket_, key_)),
        tmp_(std::move(tmp)),
        options_(options),
        done_(std::move(done)) {}

  void Start() {
    etag_ = options_.expected_etag;
    size_ = options_.expected_size;
    if (!etag_.empty()) return Choose();
    FirstRange(true);
  }

 private:
  // Every end of the machine: a failed download gives its temporary file
  // up first, so it is gone by the time a caller waiting on it returns.
  void Report(StatusOr<DownloadResult> r) {
    if (!r.ok()) {
      // What arrived before the network or the gateway gave up stays for
      // the next run to resume (its record names the object's ETag); bytes
      // that proved wrong, or an object that changed, do not.
      const StatusCode code = r.status().code();
      if (tracker_ && tmp_ &&
          (code == StatusCode::kUnavailable || code == StatusCode::kDeadlineExceeded ||
           code == StatusCode::kCancelled || code == StatusCode::kInternal)) {
        tracker_->Save();
        tmp_->Keep();
      }
      tmp_.reset();
    }
    done_(std::move(r));
  }

  // Not listed: the first part's GET tells the object's size and ETag (and,
  // when it fails, the gateway's error code, which a HEAD has no body for).
  void FirstRange(bool ranged) {
    part_size_ = std::max<uint64_t>(options_.part_size, kMinRange);
    auto sink = std::make_shared<HashingSink>(std::make_shared<http::FileSink>(tmp_->fd(), 0));
    s3::GetOptions get;
    get.version_id = options_.version_id;
    if (ranged) get.range = s3::ByteRange{0, part_size_ - 1};
    auto self = shared_from_this();
    client_.GetObject(bucket_, key_, get, sink, [self, sink, ranged](StatusOr<s3::ObjectHead> h) {
      if (!h.ok() && ranged && h.status().s3_code() == "InvalidRange") {
        return self->FirstRange(false);  // an empty object has no byte 0
      }
      if (!h.ok()) return self->Report(h.status());
      self->etag_ = h->etag;
      self->size_ = h->size;
      self->head_ = *h;
      if (self->options_.on_bytes) self->options_.on_bytes(sink->size());
      if (self->size_ <= self->part_size_) return self->Whole(sink);
      // The rest in ranges, this first part already on disk.
      const uint64_t parts = (self->size_ + self->part_size_ - 1) / self->part_size_;
      self->record_.written.assign(parts, 0);
      self->record_.written[0] = sink->size();
      self->options_.workers->Run([self] {
        if (Status s = internal::CheckRoom(self->tmp_->fd(), self->size_ - self->part_size_,
                                           self->tmp_->path(), self->what_);
            !s.ok()) {
          return self->Report(s);
        }
        self->Pump();
      });
    });
  }

  void Choose() {
    part_size_ = std::max<uint64_t>(options_.part_size, kMinRange);
    if (size_ < options_.multipart_threshold || size_ <= part_size_) return Single();
    // Ranges where gwsync would have cut the parts: when the object has
    // that many parts, each range's MD5 (taken on a worker as it lands) is a
    // part's, and the ETag is checked without reading the file again.
    const uint64_t ours = PartSizeFor(size_, options_.part_size);
    if (EtagParts(etag_) == (size_ + ours - 1) / ours) {
      part_size_ = ours;
      part_md5s_.resize(EtagParts(etag_));
    }
    auto self = shared_from_this();
    options_.workers->Run([self] { self->PrepareRanges(); });
  }

  void Single() {
    auto sink = std::make_shared<HashingSink>(std::make_shared<http::FileSink>(tmp_->fd(), 0));
    s3::GetOptions get;
    get.version_id = options_.version_id;
    get.if_match = etag_;
    get.expected_size = size_;
    auto self = shared_from_this();
    client_.GetObject(bucket_, key_, get, sink, [self, sink](StatusOr<s3::ObjectHead> head) {
      if (!head.ok()) return self->Report(head.status());
      self->head_ = *head;
      if (self->options_.on_bytes) self->options_.on_bytes(sink->size());
      self->Whole(sink);
    });
  }

  // The object came in one answer, hashed as it streamed.
  void Whole(const std::shared_ptr<HashingSink>& sink) {
    if (sink->size() != size_ || head_->size != size_) {
      return Report(DataLoss(what_ + ": received " + std::to_string(sink->size()) +
                             " bytes, expected " + std::to_string(size_)));
    }
    if (EtagIsMd5(etag_)) {
      std::string md5 = hash::Hex(sink->Finish());
      if (md5 != etag_) {
        return Report(
            DataLoss(what_ + ": content MD5 " + md5 + " does not match the ETag " + etag_));
      }
      return Done({Verdict::kVerified, "", sink->FinishXxh3()});
    }
    // A small multipart object: its parts are recomputed from the file.
    auto self = shared_from_this();
    options_.workers->Run([self] { self->Verify(); });
  }

  // On a worker: adopts what a killed run left, checks the room, and starts
  // the ranges.
  void PrepareRanges() {
    const uint64_t parts = (size_ + part_size_ - 1) / part_size_;
    record_.written.assign(parts, 0);
    if (auto adopted = AdoptPartial(*tmp_, etag_, size_, part_size_, &record_)) {
      tmp_ = std::move(adopted);
    } else {
      record_.etag = etag_;
      record_.size = size_;
      record_.part_size = part_size_;
      record_.written.assign(parts, 0);
    }
    if (!part_md5s_.empty()) xxh3_ = std::make_unique<PartsXxh3>(tmp_->fd(), size_, part_size_);
    tracker_ = std::make_shared<ResumeTracker>(tmp_->fd(), record_);
    tracker_->Save();
    tmp_->KeepIfStopped();
    uint64_t have = 0;
    for (uint64_t w : record_.written) have += w;
    if (Status s = internal::CheckRoom(tmp_->fd(), size_ - have, tmp_->path(), what_); !s.ok()) {
      return Report(s);
    }
    Pump();
  }

  void Pump() {
    struct Range {
      size_t part;
      uint64_t first, last, have;
    };
    std::vector<Range> start;
    bool finished = false;
    {
      std::lock_guard lock(mu_);
      while (error_.ok() && in_flight_ < std::max(1, options_.parallel) &&
             next_ < record_.written.size()) {
        size_t part = next_++;
        uint64_t offset = part * part_size_;
        uint64_t len = std::min(part_size_, size_ - offset);
        uint64_t have = record_.written[part];
        if (have >= len) continue;
        ++in_flight_;
        start.push_back({part, offset + have, offset + len - 1, have});
      }
      if (in_flight_ == 0 && hashing_ == 0 && !finishing_ &&
          (!error_.ok() || next_ >= record_.written.size())) {
        finishing_ = finished = true;
      }
    }
    auto self = shared_from_this();
    for (const Range& r : start) {
      std::shared_ptr<http::BodySink> file = std::make_shared<http::FileSink>(tmp_->fd(), r.first);
      std::shared_ptr<http::BodySink> sink = file;
      if (tracker_) sink = std::make_shared<TrackingSink>(file, tracker_, r.part, r.have);
      s3::GetOptions get;
      get.version_id = options_.version_id;
      get.range = s3::ByteRange{r.first, r.last};
      get.if_match = etag_;  // every range from the same version; a changed object starts over
      client_.GetObject(bucket_, key_, get, sink, [self, file, r](StatusOr<s3::ObjectHead> head) {
        auto* f = static_cast<http::FileSink*>(file.get());
        Status s = head.status();
        if (s.ok() && f->written() != r.last - r.first + 1) {
          s = DataLoss(self->what_ + ": short range at byte " + std::to_string(r.first));
        }
        if (s.ok() && self->options_.on_bytes) self->options_.on_bytes(f->written());
        const bool hash = s.ok() && !self->part_md5s_.empty();
        {
          std::lock_guard lock(self->mu_);
          --self->in_flight_;
          if (!s.ok() && self->error_.ok()) self->error_ = s;
          if (s.ok() && !self->head_) self->head_ = *head;
          if (hash) ++self->hashing_;
        }
        if (hash) self->options_.workers->Run([self, part = r.part] { self->HashPart(part); });
        self->Pump();
      });
    }
    if (!finished) return;
    Status error;
    {
      std::lock_guard lock(mu_);
      error = error_;
    }
    if (!error.ok()) return Report(error);
    if (tracker_) tracker_->Save();
    if (head_) return options_.workers->Run([self] { self->Verify(); });
    // Everything was on disk already: the attributes still come from the
    // object, which must be the same version.
    client_.HeadObject(
        bucket_, key_,
        [self](StatusOr<s3::ObjectHead> h) {
          if (!h.ok()) return self->Report(h.status());
          if (h->etag != self->etag_) {
            return self->Report(Status(StatusCode::kFailedPrecondition,
                                       self->what_ + ": changed while it was downloaded"));
          }
          self->head_ = *h;
          self->options_.workers->Run([self] { self->Verify(); });
        },
        options_.version_id);
  }

  // On a worker: the MD5 of a part that has all its bytes on disk (and the
  // file's xxh3 so far, when its turn has come).
  void HashPart(size_t part) {
    auto md5 = xxh3_->Md5OfPart(part);
    {
      std::lock_guard lock(mu_);
      --hashing_;
      if (md5.ok()) part_md5s_[part] = *md5;
    }
    Pump();
  }

  // On a worker: the whole file against the ETag, from the parts' MD5s when
  // they were all taken (parts a killed run left are hashed now).
  void Verify() {
    if (!part_md5s_.empty()) {
      std::vector<hash::Md5Digest> md5s;
      for (size_t part = 0; part < part_md5s_.size(); ++part) {
        if (!part_md5s_[part]) {
          auto md5 = xxh3_->Md5OfPart(part);
          if (!md5.ok()) break;
          part_md5s_[part] = *md5;
        }
        md5s.push_back(*part_md5s_[part]);
      }
      if (md5s.size() == part_md5s_.size() && MultipartEtag(md5s) == etag_) {
        // Taken with the parts' MD5s where they were hashed in order; the
        // rest is read once more, from the page cache.
        auto xxh3 = xxh3_->Finish();
        if (!xxh3.ok()) return Report(xxh3.status().Annotate(tmp_->path()));
        return Done({Verdict::kVerified, "", *xxh3});
      }
      // Else the parts were cut elsewhere, or a byte is wrong: the full
      // check below says which.
    }
    VerifyFile();
  }

  void VerifyFile() {
    struct stat st {};
    if (fstat(tmp_->fd(), &st) != 0) {
      return Report(fileio::ErrnoStatus("cannot stat '" + tmp_->path() + "'", errno));
    }
    if (static_cast<uint64_t>(st.st_size) != size_) {
      return Report(DataLoss(what_ + ": received " + std::to_string(st.st_size) +
                             " bytes, expected " + std::to_string(size_)));
    }
    auto check = CheckFd(tmp_->fd(), size_, etag_, RecordedLayout(*head_), options_.part_size);
    if (!check.ok()) return Report(check.status().Annotate(tmp_->path()));
    // A difference is proven (a plain MD5, or the layout the object
    // records); no candidate part size reproducing the ETag is no proof of
    // damage: unverifiable, said by the caller.
    if (check->verdict == Verdict::kDifferent) return Report(DataLoss(what_ + ": " + check->why));
    Done(*check);
  }

  void Done(const CheckResult& check) {
    if (tracker_) ClearResume(tmp_->fd());
    DownloadResult r;
    r.size = size_;
    r.etag = etag_;
    r.verdict = check.verdict;
    r.why = check.why;
    r.xxh3 = check.xxh3;
    r.head = *head_;
    r.temp = tmp_;
    Report(std::move(r));
  }

  const s3::Client& client_;
  const std::string bucket_, key_, what_;
  std::shared_ptr<fileio::TempFile> tmp_;
  const TransferOptions options_;
  DownloadDone done_;
  std::string etag_;
  uint64_t size_ = 0;
  uint64_t part_size_ = 0;
  ResumeRecord record_;
  std::shared_ptr<ResumeTracker> tracker_;

  std::mutex mu_;  // guards what follows
  size_t next_ = 0;
  int in_flight_ = 0;
  int hashing_ = 0;  // parts being hashed on workers
  // Per part: its MD5 once hashed; empty when the ranges are not the parts.
  std::vector<std::optional<hash::Md5Digest>> part_md5s_;
  std::unique_ptr<PartsXxh3> xxh3_;  // with part_md5s_: the file's xxh3 as the parts are hashed
  bool finishing_ = false;
  Status error_;
  std::optional<s3::ObjectHead> head_;
};

}  // namespace

void StartDownload(const s3::Client& client, const std::string& bucket, const std::string& key,
                   std::shared_ptr<fileio::TempFile> tmp, const TransferOptions& options,
                   DownloadDone done) {
  std::make_shared<Download>(client, bucket, key, std::move(tmp), options, std::move(done))
      ->Start();
}

}  // namespace gwsync::transfer
