// The two ways an object goes up: one PUT, and the multipart upload every
// large object (a file, a stream, a copy across clusters or within one)
// goes through, whatever produces its parts.
#include <algorithm>
#include <mutex>

#include "http/bodies.h"
#include "transfer/machine.h"

namespace gwsync::transfer {

using internal::Part;
using internal::PartProducer;

namespace internal {

s3::PutOptions ObjectPutOptions(const TransferOptions& options) {
  s3::PutOptions put;
  put.content_type = options.content_type;
  put.content = options.content;
  put.metadata = options.metadata;
  put.tagging = options.tagging;
  return put;
}

void PutBody(const s3::Client& client, const std::string& bucket, const std::string& key,
             const TransferOptions& options, std::shared_ptr<http::BodySource> body,
             const hash::Md5Digest& md5, std::function<void(StatusOr<UploadResult>)> done) {
  s3::PutOptions put = ObjectPutOptions(options);
  put.content_md5 = hash::Base64(md5);
  uint64_t size = body->size();
  client.PutObject(bucket, key, std::move(body), put,
                   [done = std::move(done), want = hash::Hex(md5), what = What(bucket, key), size,
                    on_bytes = options.on_bytes](StatusOr<std::string> etag) {
                     if (!etag.ok()) return done(etag.status());
                     if (Status s = CheckEtag(*etag, want, what); !s.ok()) return done(s);
                     if (on_bytes) on_bytes(size);
                     UploadResult r;
                     r.size = size;
                     r.etag = *etag;
                     done(std::move(r));
                   });
}

namespace {

// One multipart upload on its way; see RunMultipart.
class Multipart : public std::enable_shared_from_this<Multipart> {
 public:
  Multipart(const s3::Client& client, std::string bucket, std::string key,
            const TransferOptions& options, std::unique_ptr<PartProducer> producer,
            std::string upload_id, std::optional<CopySource> copy_source,
            std::function<void(const std::string&, int, const std::string&)> on_part,
            std::function<void(StatusOr<UploadResult>)> done)
      : client_(client),
        bucket_(std::move(bucket)),
        key_(std::move(key)),
        options_(options),
        producer_(std::move(producer)),
        upload_id_(std::move(upload_id)),
        copy_source_(std::move(copy_source)),
        on_part_(std::move(on_part)),
        done_(std::move(done)) {}

  void Start() {
    if (!upload_id_.empty()) return Pump();
    s3::PutOptions put = ObjectPutOptions(options_);
    auto self = shared_from_this();
    client_.CreateMultipartUpload(bucket_, key_, put, [self](StatusOr<std::string> id) {
      if (!id.ok()) return self->done_(id.status());
      self->upload_id_ = *id;
      self->Tell(0, "");
      self->Pump();
    });
  }

 private:
  // Starts parts while there is room, and finishes once none is left in
  // flight. A trampoline: a call while another runs (a part produced at
  // once, a completion on another thread) only makes the running one go
  // round again, so no stack grows with the number of parts (resuming an
  // upload of thousands of parts sent produces them all synchronously).
  // Part kMaxParts + 1 is asked for too: it must be the end, or the upload
  // fails before sending it (Produced), so the machine always ends.
  void Pump() {
    {
      std::lock_guard lock(mu_);
      if (pumping_) {
        again_ = true;
        return;
      }
      pumping_ = true;
    }
    auto self = shared_from_this();
    for (;;) {
      std::vector<int> start;
      {
        std::lock_guard lock(mu_);
        again_ = false;
        while (error_.ok() && !end_ && in_flight_ < std::max(1, options_.parallel) &&
               (producer_->concurrent() || !producing_) && next_ <= kMaxParts + 1) {
          start.push_back(next_++);
          ++in_flight_;
          producing_ = true;
        }
        if (start.empty()) {
          pumping_ = false;
          break;
        }
      }
      for (int number : start) {
        producer_->Next(number,
                        [self, number](StatusOr<Part> part) { self->Produced(number, part); });
      }
    }
    MaybeFinish();
  }

  void Produced(int number, StatusOr<Part>& part) {
    bool send = false;
    {
      std::lock_guard lock(mu_);
      producing_ = false;
      if (!part.ok()) {
        if (error_.ok()) error_ = part.status();
      } else if (!part->body) {
        end_ = true;
      } else if (number > kMaxParts) {
        if (error_.ok()) error_ = TooManyParts();
      } else if (error_.ok()) {
        Record(number, *part);
        if (part->already_sent) {
          ++resumed_parts_;
        } else {
          send = true;  // stays in flight until the gateway confirms it
        }
      }
      if (!send) --in_flight_;
    }
    if (send) return Send(number, *part);
    if (part.ok() && part->already_sent && options_.on_bytes) options_.on_bytes(part->size);
    Pump();
  }

  Status TooManyParts() const {
    return Status(StatusCode::kResourceExhausted,
                  What(bucket_, key_) + ": the input needs more than " + std::to_string(kMaxParts) +
                      " parts, the most S3 allows in one upload: give a larger --part-size");
  }

  // Under mu_.
  void Record(int number, const Part& part) {
    if (parts_.size() < static_cast<size_t>(number)) parts_.resize(number);
    parts_[number - 1] = {number, hash::Hex(part.md5), part.size};
    size_ += part.size;
  }

  void Send(int number, const Part& part) {
    auto self = shared_from_this();
    std::string what = What(bucket_, key_) + " part " + std::to_string(number);
    auto confirmed = [self, number, what, size = part.size,
                      want = part.copy_range ? std::string()
                                             : hash::Hex(part.md5)](StatusOr<std::string> etag) {
      Status s = etag.status();
      // A copied part's bytes never pass here: its ETag (their MD5) is taken
      // as the gateway gives it, and the object's composite ETag checked.
      if (s.ok() && !want.empty()) s = CheckEtag(*etag, want, what);
      if (s.ok() && want.empty()) {
        std::string digest;
        if (!hash::FromHex(*etag, &digest) || digest.size() != 16) {
          s = DataLoss(what + ": the gateway sent a part ETag that is not an MD5: '" +
                       etag->substr(0, 64) + "'");
        } else {
          std::lock_guard lock(self->mu_);
          self->parts_[number - 1].etag = *etag;
        }
      }
      {
        std::lock_guard lock(self->mu_);
        --self->in_flight_;
        if (!s.ok() && self->error_.ok()) self->error_ = s;
      }
      if (s.ok()) {
        if (self->options_.on_bytes) self->options_.on_bytes(size);
        std::string md5hex;
        {
          std::lock_guard lock(self->mu_);
          md5hex = self->parts_[number - 1].etag;
        }
        self->Tell(number, md5hex);
      }
      self->Pump();
    };
    if (part.copy_range) {
      client_.UploadPartCopy(copy_source_->bucket, copy_source_->key, *part.copy_range,
                             copy_source_->etag, bucket_, key_, upload_id_, number, confirmed);
    } else {
      client_.UploadPart(bucket_, key_, upload_id_, number, part.body, hash::Base64(part.md5),
                         confirmed);
    }
  }

  // Checkpoint news, on a worker and one at a time (they write the index).
  void Tell(int number, const std::string& md5hex) {
    if (!on_part_) return;
    auto self = shared_from_this();
    options_.workers->Run([self, number, md5hex] {
      std::lock_guard lock(self->tell_mu_);
      self->on_part_(self->upload_id_, number, md5hex);
    });
  }

  void MaybeFinish() {
    Status error;
    {
      std::lock_guard lock(mu_);
      if (finishing_ || in_flight_ > 0 || (error_.ok() && !end_)) return;
      finishing_ = true;
      error = error_;
    }
    if (!error.ok()) {
      // Without a checkpoint nothing could resume it: give the space back.
      if (!on_part_) internal::AbortLater(client_, bucket_, key_, upload_id_);
      return done_(error);
    }
    Complete();
  }

  void Complete() {
    if (parts_.empty()) {  // S3 completes no upload without a part
      if (!on_part_) internal::AbortLater(client_, bucket_, key_, upload_id_);
      return done_(Internal(What(bucket_, key_) + ": a multipart upload with nothing to send"));
    }
    std::vector<hash::Md5Digest> md5s;
    for (const auto& p : parts_) {
      std::string digest;
      if (p.number == 0 || !hash::FromHex(p.etag, &digest) || digest.size() != 16) {
        return done_(Internal(What(bucket_, key_) + ": part " +
                              std::to_string(&p - parts_.data() + 1) + " is missing"));
      }
      hash::Md5Digest d{};
      std::copy(digest.begin(), digest.end(), d.begin());
      md5s.push_back(d);
    }
    std::string want = MultipartEtag(md5s);
    auto self = shared_from_this();
    client_.CompleteMultipartUpload(
        bucket_, key_, upload_id_, parts_, [self, want](StatusOr<std::string> etag) {
          if (!etag.ok()) return self->done_(etag.status());
          if (!etag->empty()) return self->Completed(*etag, want);
          // Some RGW releases answer <ETag></ETag>: ask the object.
          self->client_.HeadObject(self->bucket_, self->key_,
                                   [self, want](StatusOr<s3::ObjectHead> head) {
                                     if (!head.ok()) return self->done_(head.status());
                                     self->Completed(head->etag, want);
                                   });
        });
  }

  void Completed(const std::string& got, const std::string& want) {
    if (Status s = CheckEtag(got, want, What(bucket_, key_)); !s.ok()) return done_(s);
    UploadResult r;
    r.size = size_;
    r.etag = got;
    r.parts = static_cast<int>(parts_.size());
    r.parts_resumed = resumed_parts_;
    done_(r);
  }

  const s3::Client& client_;
  const std::string bucket_, key_;
  const TransferOptions options_;
  std::unique_ptr<PartProducer> producer_;
  std::string upload_id_;  // set before the first part, constant after
  const std::optional<CopySource> copy_source_;
  std::function<void(const std::string&, int, const std::string&)> on_part_;
  std::function<void(StatusOr<UploadResult>)> done_;

  std::mutex mu_;                    // guards what follows
  std::vector<s3::PartInfo> parts_;  // by number - 1; etag: the part's MD5 (hex)
  uint64_t size_ = 0;
  int next_ = 1;
  int in_flight_ = 0;  // parts being produced or sent
  bool producing_ = false;
  bool pumping_ = false;  // a Pump is running (the trampoline)
  bool again_ = false;    // and must look once more before it stops
  bool end_ = false;
  bool finishing_ = false;
  int resumed_parts_ = 0;
  Status error_;
  std::mutex tell_mu_;
};

}  // namespace

void RunMultipart(const s3::Client& client, std::string bucket, std::string key,
                  const TransferOptions& options, std::unique_ptr<PartProducer> producer,
                  std::string upload_id, std::optional<CopySource> copy_source,
                  std::function<void(const std::string&, int, const std::string&)> on_part,
                  std::function<void(StatusOr<UploadResult>)> done) {
  auto m = std::make_shared<Multipart>(client, std::move(bucket), std::move(key), options,
                                       std::move(producer), std::move(upload_id),
                                       std::move(copy_source), std::move(on_part), std::move(done));
  m->Start();
}

}  // namespace internal

}  // namespace gwsync::transfer
