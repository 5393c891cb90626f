// Copies between buckets as state machines: server-side within a cluster
// (CopyObject, or UploadPartCopy parts for large objects), through bounded
// memory across clusters (ranged GETs pinned to the source's ETag, each part
// uploaded as it arrives).
#include <algorithm>
#include <charconv>
#include <vector>

#include "http/bodies.h"
#include "transfer/machine.h"

namespace gwsync::transfer {

using internal::kMiB;
using internal::Part;
using internal::PartProducer;
using internal::What;

namespace internal {

uint64_t RecordedPartSize(const s3::ObjectHead& head) {
  auto it = head.metadata.find(kPartSizeMeta);
  if (it == head.metadata.end()) return 0;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || end != it->second.data() + it->second.size()) return 0;
  return v >= kMinPartSize && v <= (5ull << 30) ? v : 0;
}

}  // namespace internal

void BufferBudget::Acquire(uint64_t bytes, std::function<void()> go) {
  bytes = std::min(bytes, capacity_);
  {
    std::lock_guard lock(mu_);
    if (!waiting_.empty() || free_ < bytes) {
      waiting_.emplace_back(bytes, std::move(go));
      return;
    }
    free_ -= bytes;
  }
  go();
}

void BufferBudget::Release(uint64_t bytes) {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard lock(mu_);
    free_ += std::min(bytes, capacity_);
    while (!waiting_.empty() && waiting_.front().first <= free_) {
      free_ -= waiting_.front().first;
      ready.push_back(std::move(waiting_.front().second));
      waiting_.pop_front();
    }
  }
  for (auto& go : ready) go();
}

namespace {

// Bytes of a BufferBudget held until the last owner lets go.
struct Held {
  Held(std::shared_ptr<BufferBudget> budget, uint64_t bytes)
      : budget(std::move(budget)), bytes(bytes) {}
  ~Held() {
    if (budget) budget->Release(bytes);
  }
  std::shared_ptr<BufferBudget> budget;
  uint64_t bytes;
};

// A part's bytes in memory, within the budget until the upload lets go of them.
class HeldSource final : public http::BodySource {
 public:
  HeldSource(std::string data, std::shared_ptr<Held> held)
      : inner_(std::move(data)), held_(std::move(held)) {}
  uint64_t size() const override { return inner_.size(); }
  StatusOr<size_t> Read(std::span<char> buf) override { return inner_.Read(buf); }
  Status Rewind() override { return inner_.Rewind(); }

 private:
  http::StringSource inner_;
  std::shared_ptr<Held> held_;
};

// Ranges of the source read into memory (if-match its ETag), hashed on a
// worker: at most `parallel` parts held.
class RangeParts final : public PartProducer {
 public:
  RangeParts(const s3::Client& from, std::string bucket, std::string key, std::string etag,
             uint64_t size, uint64_t part_size, util::Workers* workers,
             std::shared_ptr<BufferBudget> budget)
      : budget_(std::move(budget)),
        from_(from),
        bucket_(std::move(bucket)),
        key_(std::move(key)),
        etag_(std::move(etag)),
        size_(size),
        part_size_(part_size),
        workers_(workers) {}
  bool concurrent() const override { return true; }
  void Next(int number, std::function<void(StatusOr<Part>)> done) override {
    uint64_t offset = 0, len = 0;
    if (!internal::PartBounds(number, part_size_, size_, &offset, &len)) return done(Part{});
    if (!budget_) return Fetch(offset, len, nullptr, std::move(done));
    budget_->Acquire(len, [this, offset, len, done = std::move(done)]() mutable {
      Fetch(offset, len, std::make_shared<Held>(budget_, len), std::move(done));
    });
  }

 private:
  void Fetch(uint64_t offset, uint64_t len, std::shared_ptr<Held> held,
             std::function<void(StatusOr<Part>)> done) {
    auto sink = std::make_shared<http::StringSink>();
    s3::GetOptions get;
    get.range = s3::ByteRange{offset, offset + len - 1};
    get.if_match = etag_;
    std::string what = What(bucket_, key_);
    from_.GetObject(
        bucket_, key_, get, sink,
        [sink, len, what, workers = workers_, held,
         done = std::move(done)](StatusOr<s3::ObjectHead> head) {
          if (!head.ok()) return done(head.status());
          if (sink->data().size() != len) {
            return done(DataLoss(what + ": received " + std::to_string(sink->data().size()) +
                                 " bytes, expected " + std::to_string(len)));
          }
          workers->Run([sink, held, done] {
            Part p;
            p.md5 = hash::Md5(sink->data());
            p.size = sink->data().size();
            p.body = std::make_shared<HeldSource>(std::move(sink->data()), held);
            done(p);
          });
        });
  }

  std::shared_ptr<BufferBudget> budget_;
  const s3::Client& from_;
  const std::string bucket_, key_, etag_;
  const uint64_t size_, part_size_;
  util::Workers* workers_;
};

// Server-side part copies: nothing passes through the client.
class CopyParts final : public PartProducer {
 public:
  CopyParts(uint64_t size, uint64_t part_size) : size_(size), part_size_(part_size) {}
  bool concurrent() const override { return true; }
  void Next(int number, std::function<void(StatusOr<Part>)> done) override {
    uint64_t offset = 0, len = 0;
    if (!internal::PartBounds(number, part_size_, size_, &offset, &len)) return done(Part{});
    Part p;
    p.body = std::make_shared<http::StringSource>("");  // not sent: copy_range is
    p.size = len;
    p.copy_range = s3::ByteRange{offset, offset + len - 1};
    done(p);
  }

 private:
  const uint64_t size_, part_size_;
};

bool SameCluster(const s3::Client& a, const s3::Client& b) {
  return a.options().endpoint.BaseUrl() == b.options().endpoint.BaseUrl() &&
         a.options().credentials.access_key == b.options().credentials.access_key;
}

void CopyWithHead(const s3::Client& from, const std::string& src_bucket, const std::string& src_key,
                  const s3::Client& to, const std::string& bucket, const std::string& key,
                  TransferOptions t, const s3::ObjectHead& head, UploadDone done) {
  const std::string what = What(src_bucket, src_key);
  t.metadata = head.metadata;
  if (t.content_type.empty()) t.content_type = head.content_type;
  if (SameCluster(from, to)) {
    // Parts the size the source was uploaded with keep its ETag, which then
    // proves the copy; else ours.
    uint64_t recorded = internal::RecordedPartSize(head);
    uint64_t part = PartSizeFor(head.size, recorded ? recorded : std::max(t.part_size, 512 * kMiB));
    t.metadata[internal::kPartSizeMeta] = std::to_string(part);
    internal::RunMultipart(to, bucket, key, t, std::make_unique<CopyParts>(head.size, part), "",
                           internal::CopySource{src_bucket, src_key, head.etag}, {},
                           std::move(done));
    return;
  }
  if (head.size < t.multipart_threshold) {
    auto fetch = [&from, &to, what, src_bucket, src_key, bucket, key, t, etag = head.etag,
                  size = head.size, done = std::move(done)](std::shared_ptr<Held> held) {
      auto sink = std::make_shared<http::StringSink>();
      s3::GetOptions get;
      get.if_match = etag;
      get.expected_size = size;  // held in memory: never more than announced
      from.GetObject(
          src_bucket, src_key, get, sink,
          [&to, sink, held, what, bucket, key, t, etag, size, done](StatusOr<s3::ObjectHead> got) {
            if (!got.ok()) return done(got.status());
            if (sink->data().size() != size) {
              return done(DataLoss(what + ": received " + std::to_string(sink->data().size()) +
                                   " bytes, expected " + std::to_string(size)));
            }
            t.workers->Run([&to, sink, held, what, bucket, key, t, etag, done] {
              hash::Md5Digest md5 = hash::Md5(sink->data());
              if (EtagIsMd5(etag) && hash::Hex(md5) != etag) {
                return done(DataLoss(what + ": content MD5 does not match the ETag " + etag));
              }
              internal::PutBody(to, bucket, key, t,
                                std::make_shared<HeldSource>(std::move(sink->data()), held), md5,
                                done);
            });
          });
    };
    if (!t.buffers) return fetch(nullptr);
    auto budget = t.buffers;
    budget->Acquire(head.size, [budget, size = head.size, fetch = std::move(fetch)] {
      fetch(std::make_shared<Held>(budget, size));
    });
    return;
  }
  uint64_t recorded = internal::RecordedPartSize(head);
  uint64_t part = PartSizeFor(head.size, recorded ? recorded : t.part_size);
  t.metadata[internal::kPartSizeMeta] = std::to_string(part);
  auto producer = std::make_unique<RangeParts>(from, src_bucket, src_key, head.etag, head.size,
                                               part, t.workers, t.buffers);
  internal::RunMultipart(to, bucket, key, t, std::move(producer), "", std::nullopt, {},
                         std::move(done));
}

}  // namespace

namespace {

// One server-side CopyObject; the gateway copies the metadata. `want`: the
// source's ETag when known (a plain MD5 the copy must have too).
void CopyInOne(const s3::Client& to, const std::string& src_bucket, const std::string& src_key,
               const std::string& bucket, const std::string& key, std::string want, uint64_t size,
               UploadDone done) {
  to.CopyObject(src_bucket, src_key, bucket, key,
                [done = std::move(done), want = std::move(want), size,
                 what = What(bucket, key)](StatusOr<std::string> etag) {
                  if (!etag.ok()) return done(etag.status());
                  if (EtagIsMd5(want) && *etag != want) {
                    return done(DataLoss(what + ": the copy's ETag is '" + *etag +
                                         "', the source's " + want));
                  }
                  done(UploadResult{size, *etag, 0});
                });
}

}  // namespace

void StartCopy(const s3::Client& from, const std::string& src_bucket, const std::string& src_key,
               const s3::Client& to, const std::string& bucket, const std::string& key,
               const TransferOptions& options, UploadDone done) {
  if (SameCluster(from, to) && !options.expected_etag.empty() &&
      options.expected_size < options.copy_multipart_threshold) {
    return CopyInOne(to, src_bucket, src_key, bucket, key, options.expected_etag,
                     options.expected_size, std::move(done));
  }
  from.HeadObject(
      src_bucket, src_key,
      [&from, &to, src_bucket, src_key, bucket, key, options,
       done = std::move(done)](StatusOr<s3::ObjectHead> head) mutable {
        const bool same = SameCluster(from, to);
        if (!head.ok() && same && head.status().http_status() != 0) {
          // A HEAD's refusal has no body to say why (NoSuchBucket or
          // NoSuchKey): the copy itself says it.
          return CopyInOne(to, src_bucket, src_key, bucket, key, "", 0, std::move(done));
        }
        if (!head.ok()) return done(head.status());
        if (same && head->size < options.copy_multipart_threshold) {
          return CopyInOne(to, src_bucket, src_key, bucket, key, head->etag, head->size,
                           std::move(done));
        }
        CopyWithHead(from, src_bucket, src_key, to, bucket, key, options, *head, std::move(done));
      });
}

}  // namespace gwsync::transfer
