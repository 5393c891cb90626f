// Copies between buckets as state machines: server-side within a cluster
// (CopyObject, or UploadPartCopy parts for large objects), through bounded
// memory across clusters (ranged GETs pinned to the source's ETag, each part
// uploaded as it arrives).
#include <algorithm>
#include <charconv>
#include <vector>

#include "http/bodies.h"
#include "s3/uri.h"
#include "transfer/machine.h"

namespace gwsync::transfer {

using internal::kMiB;
using internal::Part;
using internal::PartProducer;
using internal::What;

namespace internal {

void RecordLayout(const PartLayout& layout, std::map<std::string, std::string>* metadata) {
  (*metadata)[kPartSizeMeta] = std::to_string(layout.size);
  if (layout.doubling > 0) {
    (*metadata)[kPartDoublingMeta] = std::to_string(layout.doubling);
  } else {
    metadata->erase(kPartDoublingMeta);
  }
}

}  // namespace internal

std::optional<PartLayout> RecordedLayout(const s3::ObjectHead& head) {
  auto number = [&head](const char* name) -> uint64_t {
    auto it = head.metadata.find(name);
    if (it == head.metadata.end()) return 0;
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    return ec == std::errc() && end == it->second.data() + it->second.size() ? v : 0;
  };
  PartLayout layout{number(internal::kPartSizeMeta), 0};
  if (layout.size < internal::kMinPartSize || layout.size > PartLayout::kMaxPart)
    return std::nullopt;
  uint64_t doubling = number(internal::kPartDoublingMeta);
  if (doubling > 0 && doubling <= static_cast<uint64_t>(internal::kMaxParts)) {
    layout.doubling = static_cast<int>(doubling);
  }
  return layout;
}

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
             uint64_t size, PartLayout layout, util::Workers* workers,
             std::shared_ptr<BufferBudget> budget)
      : budget_(std::move(budget)),
        from_(from),
        bucket_(std::move(bucket)),
        key_(std::move(key)),
        etag_(std::move(etag)),
        size_(size),
        layout_(layout),
        workers_(workers) {}
  bool concurrent() const override { return true; }
  void Next(int number, std::function<void(StatusOr<Part>)> done) override {
    uint64_t offset = 0, len = 0;
    if (!internal::PartBounds(number, layout_, size_, &offset, &len)) return done(Part{});
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
  const uint64_t size_;
  const PartLayout layout_;
  util::Workers* workers_;
};

// Server-side part copies: nothing passes through the client.
class CopyParts final : public PartProducer {
 public:
  CopyParts(uint64_t size, PartLayout layout) : size_(size), layout_(layout) {}
  bool concurrent() const override { return true; }
  void Next(int number, std::function<void(StatusOr<Part>)> done) override {
    uint64_t offset = 0, len = 0;
    if (!internal::PartBounds(number, layout_, size_, &offset, &len)) return done(Part{});
    Part p;
    p.body = std::make_shared<http::StringSource>("");  // not sent: copy_range is
    p.size = len;
    p.copy_range = s3::ByteRange{offset, offset + len - 1};
    done(p);
  }

 private:
  const uint64_t size_;
  const PartLayout layout_;
};

bool SameCluster(const s3::Client& a, const s3::Client& b) {
  return a.options().endpoint.BaseUrl() == b.options().endpoint.BaseUrl() &&
         a.options().credentials.access_key == b.options().credentials.access_key;
}

// A multipart copy's result against its source: parts cut as the source
// recorded give the source's ETag, which then proves the copy (a different
// one is a difference); parts of another size prove nothing either way.
UploadDone AgainstSource(const std::string& what, const s3::ObjectHead& head, bool recorded,
                         UploadDone done) {
  return [what, etag = head.etag, recorded, done = std::move(done)](StatusOr<UploadResult> r) {
    if (!r.ok() || r->etag == etag) return done(std::move(r));
    if (recorded) {
      return done(DataLoss(what + ": the copy's ETag is " + r->etag + ", the source's " + etag +
                           " (cut in the parts the source records)"));
    }
    r->verdict = Verdict::kUnverifiable;
    r->why = "copied in parts of another size than its source's (ETag " + etag +
             "): content not checked";
    done(std::move(r));
  };
}

void CopyWithHead(const s3::Client& from, const std::string& src_bucket, const std::string& src_key,
                  const s3::Client& to, const std::string& bucket, const std::string& key,
                  TransferOptions t, const s3::ObjectHead& head, UploadDone done) {
  const std::string what = What(src_bucket, src_key);
  // Everything the object keeps, as a server-side copy would (its tags were
  // read into t.tagging by the caller).
  t.metadata = head.metadata;
  if (t.content_type.empty()) t.content_type = head.content_type;
  t.content = head.content;
  const std::optional<PartLayout> recorded = RecordedLayout(head);
  if (SameCluster(from, to)) {
    // Parts cut as the source was keep its ETag, which then proves the copy; else ours.
    PartLayout layout = recorded
                            ? *recorded
                            : PartLayout{PartSizeFor(head.size, std::max(t.part_size, 512 * kMiB))};
    internal::RecordLayout(layout, &t.metadata);
    internal::RunMultipart(to, bucket, key, t, std::make_unique<CopyParts>(head.size, layout), "",
                           internal::CopySource{src_bucket, src_key, head.etag}, {},
                           AgainstSource(what, head, recorded.has_value(), std::move(done)));
    return;
  }
  if (head.size < t.multipart_threshold) {
    auto fetch = [&from, &to, what, src_bucket, src_key, bucket, key, t, head,
                  done = std::move(done)](std::shared_ptr<Held> held) {
      auto sink = std::make_shared<http::StringSink>();
      s3::GetOptions get;
      get.if_match = head.etag;
      get.expected_size = head.size;  // held in memory: never more than announced
      from.GetObject(
          src_bucket, src_key, get, sink,
          [&to, sink, held, what, bucket, key, t, head, done](StatusOr<s3::ObjectHead> got) {
            if (!got.ok()) return done(got.status());
            t.workers->Run([&to, sink, held, what, bucket, key, t, head, done] {
              ContentCheck check(head.etag, head.size, RecordedLayout(head), t.part_size);
              check.Update(sink->data());
              CheckResult verdict = check.Finish();
              if (verdict.verdict == Verdict::kDifferent) {
                return done(DataLoss(what + ": " + verdict.why));
              }
              hash::Md5Digest md5 = hash::Md5(sink->data());
              internal::PutBody(to, bucket, key, t,
                                std::make_shared<HeldSource>(std::move(sink->data()), held), md5,
                                [done, verdict](StatusOr<UploadResult> r) {
                                  if (r.ok()) {
                                    r->verdict = verdict.verdict;
                                    r->why = verdict.why;
                                  }
                                  done(std::move(r));
                                });
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
  PartLayout layout = recorded ? *recorded : PartLayout{PartSizeFor(head.size, t.part_size)};
  internal::RecordLayout(layout, &t.metadata);
  auto producer = std::make_unique<RangeParts>(from, src_bucket, src_key, head.etag, head.size,
                                               layout, t.workers, t.buffers);
  internal::RunMultipart(to, bucket, key, t, std::move(producer), "", std::nullopt, {},
                         AgainstSource(what, head, recorded.has_value(), std::move(done)));
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
                  UploadResult r;
                  r.size = size;
                  r.etag = *etag;
                  if (*etag != want) {  // the gateway's own copy, of no comparable ETag
                    r.verdict = Verdict::kUnverifiable;
                    r.why = "the copy's ETag " + *etag + " is not comparable with the source's" +
                            (want.empty() ? std::string() : " " + want) + ": content not checked";
                  }
                  done(std::move(r));
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
        if (head->tag_count == 0) {
          return CopyWithHead(from, src_bucket, src_key, to, bucket, key, options, *head,
                              std::move(done));
        }
        // A copy in parts or across clusters sends the tags itself.
        from.GetObjectTagging(
            src_bucket, src_key,
            [&from, &to, src_bucket, src_key, bucket, key, options, head = *head,
             done = std::move(done)](
                StatusOr<std::vector<std::pair<std::string, std::string>>> tags) mutable {
              if (!tags.ok()) return done(tags.status());
              TransferOptions t = options;
              t.tagging = s3::CanonicalQuery(*tags);
              CopyWithHead(from, src_bucket, src_key, to, bucket, key, t, head, std::move(done));
            });
      });
}

}  // namespace gwsync::transfer
