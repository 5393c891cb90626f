#include "doctor/doctor.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <random>

#include "http/bodies.h"
#include "s3/signer.h"
#include "s3/uri.h"
#include "sync/metadata.h"

namespace gwsync::doctor {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

std::string Mib(uint64_t bytes) {
  char text[32];
  if (bytes % kMiB == 0) {
    std::snprintf(text, sizeof(text), "%llu MiB", static_cast<unsigned long long>(bytes / kMiB));
  } else {
    std::snprintf(text, sizeof(text), "%.1f MiB", static_cast<double>(bytes) / kMiB);
  }
  return text;
}

// "refused: InvalidBucketName (HTTP 400)" from a failure.
std::string Why(const Status& s) {
  std::string out = s.s3_code().empty() ? s.message() : s.s3_code();
  if (s.http_status() > 0 && out.find("(HTTP ") == std::string::npos) {
    out += " (HTTP " + std::to_string(s.http_status()) + ")";
  }
  return out;
}

class Prober {
 public:
  Prober(http::Transport* transport, const Options& options)
      : transport_(transport), options_(options) {}

  StatusOr<Report> Run() {
    RETURN_IF_ERROR(Clock());
    Signatures();
    if (!client_ && not_s3_) {  // a web server: no keys would help
      report_.uses.push_back("nothing: " + not_s3_->message());
      report_.unusable = not_s3_->message();
      return report_;
    }
    if (!client_) {
      report_.uses.push_back("nothing: no signature version was accepted (check the keys)");
      report_.unusable =
          "no signature version was accepted: check the access key and the secret key";
      return report_;
    }
    bucket_ = options_.scratch_bucket;
    if (bucket_.empty()) {
      std::mt19937_64 random(std::random_device{}());
      char suffix[16];
      std::snprintf(suffix, sizeof(suffix), "%08llx",
                    static_cast<unsigned long long>(random() & 0xffffffff));
      bucket_ = "gwsync-doctor-" + std::to_string(getpid()) + "-" + suffix;
    }
    Status made = s3::WaitStatus([&](auto done) { client_->CreateBucket(bucket_, done); });
    Note("scratch bucket", made.ok(), made.ok() ? "created " + bucket_ : Why(made));
    if (!made.ok()) {
      report_.unusable = "cannot create a bucket: " + Why(made);
      return report_;
    }
    BucketNames();
    Listing();
    RangedGet();
    Multipart();
    BodyLimit();
    PartSize();
    Cleanup();
    return report_;
  }

 private:
  void Note(std::string topic, bool supported, std::string detail) {
    report_.findings.push_back({std::move(topic), supported, std::move(detail)});
    if (options_.on_finding) options_.on_finding(report_.findings.back());
  }

  // The gateway's Date header against the local clock, from an unsigned
  // request (any answer carries a Date).
  Status Clock() {
    http::Request request;
    request.url = options_.client.endpoint.BaseUrl() + "/";
    request.connect_timeout = options_.client.connect_timeout;
    request.total_timeout = std::chrono::seconds(30);
    auto before = std::chrono::system_clock::now();
    http::Response response = transport_->SendAndWait(std::move(request));
    auto after = std::chrono::system_clock::now();
    if (!response.transport.ok()) {
      return Unavailable("cannot reach the gateway at " + options_.client.endpoint.BaseUrl() +
                         ": " + response.transport.message());
    }
    auto date = sync::ParseHttpDate(std::string(response.header("date")));
    if (!date) {
      Note("clock", false, "the gateway sent no Date header");
      return Status::Ok();
    }
    double local =
        std::chrono::duration<double>((before + (after - before) / 2).time_since_epoch()).count();
    double skew = static_cast<double>(*date) / 1e9 - local;
    char text[96];
    // The Date header has whole seconds.
    long seconds = std::lround(skew);
    if (seconds == 0) {
      std::snprintf(text, sizeof(text), "the gateway's clock agrees with this machine's (to 1 s)");
    } else {
      std::snprintf(text, sizeof(text), "the gateway's clock is %+ld s from this machine's",
                    seconds);
    }
    bool fine = std::fabs(skew) < 300;
    Note("clock", fine, text);
    if (!fine) {
      report_.uses.push_back(
          "fix the clock first: signatures are refused beyond 15 minutes of skew "
          "(RequestTimeTooSkewed)");
    }
    return Status::Ok();
  }

  void Signatures() {
    s3::ClientOptions v4 = options_.client, v2 = options_.client;
    v4.signature = s3::SignatureVersion::kV4;
    v2.signature = s3::SignatureVersion::kV2;
    v4_ = std::make_unique<s3::Client>(transport_, v4);
    v2_ = std::make_unique<s3::Client>(transport_, v2);
    auto list = [](const s3::Client& c) {
      return s3::Wait<std::vector<s3::BucketInfo>>([&](auto done) { c.ListBuckets(done); });
    };
    auto with_v4 = list(*v4_);
    Note("signature v4", with_v4.ok(), with_v4.ok() ? "accepted" : Why(with_v4.status()));
    auto with_v2 = list(*v2_);
    Note("signature v2", with_v2.ok(), with_v2.ok() ? "accepted" : Why(with_v2.status()));
    if (!with_v4.ok() && !with_v2.ok() &&
        with_v4.status().message().find("not an S3 gateway") != std::string::npos) {
      not_s3_ = with_v4.status();
    }
    bool prefer_v2 = options_.client.signature == s3::SignatureVersion::kV2;
    if (with_v4.ok() && (!prefer_v2 || !with_v2.ok())) {
      client_ = v4_.get();
      report_.uses.push_back("signature v4" +
                             std::string(prefer_v2 ? " (v2 was asked for but refused)" : ""));
    } else if (with_v2.ok()) {
      client_ = v2_.get();
      report_.uses.push_back(prefer_v2 ? "signature v2 (as asked)"
                                       : "signature v2: give --signature v2 (or signature_v2 = "
                                         "True in ~/.s3cfg, signature = v2 in a remote)");
    }
  }

  // s3cmd-era buckets are often named with underscores (db_wal).
  void BucketNames() {
    std::string name = "gwsync_doctor_" + std::to_string(getpid());
    Status s = s3::WaitStatus([&](auto done) { client_->CreateBucket(name, done); });
    if (s.ok()) {
      Status gone = s3::WaitStatus([&](auto done) { client_->DeleteBucket(name, done); });
      (void)gone;
    }
    Note("bucket names with '_'", s.ok(),
         s.ok() ? "accepted (names like db_wal work; always path-style)" : "refused: " + Why(s));
    if (!s.ok()) {
      report_.uses.push_back(
          "bucket names without '_' (db-wal, not db_wal): this gateway "
          "refuses them");
    }
  }

  Status Put(const std::string& key, std::string data) {
    auto etag = s3::Wait<std::string>([&](auto done) {
      client_->PutObject(bucket_, key, std::make_shared<http::StringSource>(std::move(data)), {},
                         done);
    });
    if (etag.ok()) keys_.push_back(key);
    return etag.status();
  }

  // Three keys listed two at a time: the continuation must find the third.
  void Listing() {
    for (const char* key : {"list/a", "list/b", "list/c"}) {
      if (Status s = Put(key, key); !s.ok()) {
        Note("PUT", false, Why(s));
        return;
      }
    }
    bool v2_ok = false;
    for (bool v1 : {false, true}) {
      s3::ListOptions o;
      o.prefix = "list/";
      o.max_keys = 2;
      o.v1 = v1;
      std::vector<std::string> seen;
      Status failed;
      for (int page = 0; page < 4; ++page) {
        auto p = s3::Wait<s3::ListPage>([&](auto done) { client_->ListObjects(bucket_, o, done); });
        if (!p.ok()) {
          failed = p.status();
          break;
        }
        for (const auto& obj : p->objects) seen.push_back(obj.key);
        if (!p->truncated) break;
        o.continuation = v1 ? p->next_marker : p->next_token;
      }
      bool ok = failed.ok() && seen == std::vector<std::string>{"list/a", "list/b", "list/c"};
      std::string detail =
          !failed.ok() ? Why(failed)
          : ok         ? "pages of 2 keys continue correctly"
               : "pages of 2 keys returned " + std::to_string(seen.size()) + " keys instead of 3";
      Note(v1 ? "ListObjects V1" : "ListObjectsV2", ok, detail);
      if (!v1) v2_ok = ok;
    }
    report_.uses.push_back(v2_ok ? "ListObjectsV2 for listings"
                                 : "ListObjectsV2 for listings, which this gateway does not serve "
                                   "correctly: sync from it will fail");
  }

  void RangedGet() {
    if (Status s = Put("range", "0123456789"); !s.ok()) return;
    s3::GetOptions o;
    o.range = s3::ByteRange{3, 6};
    auto sink = std::make_shared<http::StringSink>();
    auto got = s3::Wait<s3::ObjectHead>(
        [&](auto done) { client_->GetObject(bucket_, "range", o, sink, done); });
    bool ok = got.ok() && sink->data() == "3456";
    Note("ranged GET", ok,
         !got.ok() ? Why(got.status())
         : ok      ? "bytes 3-6 returned with 206"
                   : "returned '" + sink->data() + "' for bytes 3-6");
    report_.uses.push_back(ok ? "parallel ranged GETs for large downloads (never part numbers)"
                              : "whole-object GETs only would be safe: ranged downloads will fail");
  }

  // Uploads `first` bytes then 1 byte as two parts; OK when completed.
  Status TwoParts(const std::string& key, uint64_t first) {
    ASSIGN_OR_RETURN(std::string id, s3::Wait<std::string>([&](auto done) {
                       client_->CreateMultipartUpload(bucket_, key, {}, done);
                     }));
    std::vector<s3::PartInfo> parts;
    Status failed;
    for (int n = 1; n <= 2 && failed.ok(); ++n) {
      uint64_t size = n == 1 ? first : 1;
      auto etag = s3::Wait<std::string>([&](auto done) {
        client_->UploadPart(bucket_, key, id, n,
                            std::make_shared<http::StringSource>(std::string(size, 'p')), "", done);
      });
      if (!etag.ok()) failed = etag.status();
      if (etag.ok()) parts.push_back({n, *etag, size});
    }
    if (failed.ok()) {
      auto done = s3::Wait<std::string>(
          [&](auto d) { client_->CompleteMultipartUpload(bucket_, key, id, parts, d); });
      if (done.ok()) {
        keys_.push_back(key);
        return Status::Ok();
      }
      failed = done.status();
    }
    Status aborted =
        s3::WaitStatus([&](auto d) { client_->AbortMultipartUpload(bucket_, key, id, d); });
    (void)aborted;
    return failed;
  }

  void Multipart() {
    uint64_t minimum = 0;
    Status small = TwoParts("multipart", kMiB);
    if (small.ok()) {
      Note("multipart upload", true, "a 1 MiB part was accepted: no minimum part size enforced");
    } else if (small.s3_code() == "EntityTooSmall") {
      Status big = TwoParts("multipart", 5 * kMiB);
      Note("multipart upload", big.ok(),
           big.ok() ? "parts under 5 MiB refused (EntityTooSmall), 5 MiB accepted"
                    : "refused: " + Why(big));
      if (!big.ok()) {
        report_.uses.push_back("whole-object PUTs only: multipart uploads fail here");
        return;
      }
      minimum = 5 * kMiB;
    } else {
      Note("multipart upload", false, "refused: " + Why(small));
      report_.uses.push_back("whole-object PUTs only: multipart uploads fail here");
      return;
    }
    multipart_ = true;
    multipart_minimum_ = minimum;
    PartNumberGet(minimum ? minimum : kMiB);
  }

  // GET ?partNumber=1 is not in the client: signed here.
  void PartNumberGet(uint64_t first_part) {
    const s3::ClientOptions& o = client_->options();
    s3::SignableRequest signable;
    signable.method = "GET";
    signable.host = o.endpoint.HostHeader();
    signable.encoded_path = "/" + bucket_ + "/multipart";
    signable.query = {{"partNumber", "1"}};
    signable.payload_hash = std::string(s3::kEmptyPayloadHash);
    auto now = std::chrono::system_clock::now();
    if (o.signature == s3::SignatureVersion::kV4) {
      s3::V4Scope scope;
      scope.region = o.region;
      s3::SignV4(&signable, o.credentials, scope, now);
    } else {
      s3::SignV2(&signable, o.credentials, now);
    }
    http::Request request;
    request.url = o.endpoint.BaseUrl() + signable.encoded_path + "?partNumber=1";
    request.headers = signable.headers;
    request.total_timeout = std::chrono::seconds(60);
    http::Response r = transport_->SendAndWait(std::move(request));
    bool ok = r.transport.ok() && r.status == 206 && r.body.size() == first_part;
    std::string detail;
    if (!r.transport.ok()) {
      detail = r.transport.message();
    } else if (ok) {
      detail = "part 1 returned alone with 206";
    } else if (r.status == 200 && r.body.size() == first_part + 1) {
      detail = "partNumber ignored: the whole object came back (HTTP 200)";
    } else {
      detail = "HTTP " + std::to_string(r.status) + ", " + std::to_string(r.body.size()) +
               " bytes for a part of " + std::to_string(first_part);
    }
    Note("part-number GET", ok, detail);
  }

  // Growing PUT bodies until a 413 (a proxy's client_max_body_size) or the cap.
  void BodyLimit() {
    uint64_t largest_ok = 0;
    for (uint64_t size = kMiB; size <= options_.max_body; size *= 2) {
      Status s = Put("body", std::string(size, 'b'));
      if (s.ok()) {
        largest_ok = size;
        continue;
      }
      if (s.http_status() == 413) {
        Note("request body size", false,
             "413 at " + Mib(size) + ", " + (largest_ok ? Mib(largest_ok) : "nothing") +
                 " accepted");
        body_limit_ = largest_ok;
        if (largest_ok) {
          report_.uses.push_back(
              "--max-body-size " + std::to_string(largest_ok / kMiB) +
              "MiB: parts and PUTs stay under the proxy's limit (without it, a 413 makes gwsync "
              "shrink parts on the fly)");
        } else {
          report_.uses.push_back("--max-body-size under the proxy's limit: it refuses 1 MiB");
        }
      } else {
        Note("request body size", false, "a " + Mib(size) + " PUT failed: " + Why(s));
      }
      return;
    }
    Note("request body size", true,
         "bodies up to " + Mib(largest_ok) + " accepted (the cap tried)");
  }

  // The part size follows the gateway's minimum and a proxy's limit.
  void PartSize() {
    if (!multipart_) return;
    uint64_t part = std::max(options_.part_size, multipart_minimum_);
    if (body_limit_) part = std::min(part, body_limit_);
    if (part < multipart_minimum_) {
      report_.uses.push_back("whole-object PUTs under " + Mib(body_limit_) +
                             " only: the proxy's limit is below the gateway's minimum part (" +
                             Mib(multipart_minimum_) + "), so larger files cannot be uploaded");
      return;
    }
    report_.uses.push_back(
        "multipart uploads in parts of " + Mib(part) +
        (multipart_minimum_ ? " (the gateway's minimum is " + Mib(multipart_minimum_) + ")" : ""));
  }

  void Cleanup() {
    for (const auto& key : keys_) {
      Status s = s3::WaitStatus([&](auto done) { client_->DeleteObject(bucket_, key, done); });
      (void)s;
    }
    Status s = s3::WaitStatus([&](auto done) { client_->DeleteBucket(bucket_, done); });
    Note("scratch bucket", s.ok(), s.ok() ? "removed " + bucket_ : "not removed: " + Why(s));
  }

  http::Transport* transport_;
  const Options& options_;
  Report report_;
  std::unique_ptr<s3::Client> v4_, v2_;
  std::optional<Status> not_s3_;  // the endpoint answered as a web server, not S3
  const s3::Client* client_ = nullptr;
  std::string bucket_;
  std::vector<std::string> keys_;
  bool multipart_ = false;
  uint64_t multipart_minimum_ = 0;  // 0: none enforced
  uint64_t body_limit_ = 0;         // the largest body accepted below a 413; 0: none found
};

}  // namespace

StatusOr<Report> Examine(http::Transport* transport, const Options& options) {
  Prober prober(transport, options);
  return prober.Run();
}

}  // namespace gwsync::doctor
