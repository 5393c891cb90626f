// FakeS3's thread, the parsing of requests, faults and inspection; the
// operations are in fake_s3_buckets.cc and fake_s3_objects.cc.
#include "support/fake_s3.h"

#include <algorithm>
#include <pugixml.hpp>
#include <span>

#include "s3/uri.h"
#include "support/fake_s3_text.h"

namespace gwsync::testing {

using fake_s3::kXmlHead;
using fake_s3::Now;
using fake_s3::XmlEscape;

namespace {

constexpr size_t kChunk = 64 << 10;  // a body reaches the sink in pieces of this size

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The parameters of a listing; any other query names a subresource.
bool IsListParam(const std::string& name) {
  static const char* const kNames[] = {
      "list-type", "prefix",        "delimiter", "start-after", "continuation-token",
      "max-keys",  "encoding-type", "marker",    "fetch-owner"};
  return std::any_of(std::begin(kNames), std::end(kNames),
                     [&](const char* n) { return name == n; });
}

std::string OpOf(const S3Call& c) {
  const std::string& m = c.method;
  if (c.bucket.empty()) return m == "GET" ? "ListBuckets" : "Unknown";
  if (c.key.empty()) {
    bool sub = std::any_of(c.query.begin(), c.query.end(),
                           [](const auto& q) { return !IsListParam(q.first); });
    if (m == "GET" && c.Has("uploads")) return "ListMultipartUploads";
    if (m == "POST" && c.Has("delete")) return "DeleteObjects";
    if (sub) return m == "GET" ? "GetBucketSubresource" : "BucketSubresource";
    if (m == "HEAD") return "HeadBucket";
    if (m == "PUT") return "CreateBucket";
    if (m == "DELETE") return "DeleteBucket";
    if (m == "GET") return c.Query("list-type") == "2" ? "ListObjectsV2" : "ListObjects";
    return "Unknown";
  }
  bool copy = !c.Header("x-amz-copy-source").empty();
  if (m == "HEAD") return "HeadObject";
  if (m == "GET") return c.Has("uploadId") ? "ListParts" : "GetObject";
  if (m == "PUT" && c.Has("uploadId")) return copy ? "UploadPartCopy" : "UploadPart";
  if (m == "PUT") return copy ? "CopyObject" : "PutObject";
  if (m == "POST" && c.Has("uploads")) return "CreateMultipartUpload";
  if (m == "POST" && c.Has("uploadId")) return "CompleteMultipartUpload";
  if (m == "DELETE") return c.Has("uploadId") ? "AbortMultipartUpload" : "DeleteObject";
  return "Unknown";
}

// Reads a request body whole, as curl would send it: exactly size() bytes.
StatusOr<std::string> ReadBody(http::BodySource* body) {
  std::string out;
  if (!body) return out;
  std::string buf(kChunk, '\0');
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, body->Read(std::span<char>(buf.data(), buf.size())));
    if (n == 0) break;
    out.append(buf.data(), n);
    if (out.size() > body->size()) break;
  }
  if (out.size() != body->size()) {
    return Status(StatusCode::kInternal, "the request body gave " + std::to_string(out.size()) +
                                             " bytes of the " + std::to_string(body->size()) +
                                             " announced");
  }
  return out;
}

}  // namespace

FakeS3::FakeS3() {
  thread_ = std::thread([this] { Loop(); });
}

s3::ClientOptions FakeS3::ClientOptions(const std::string& endpoint,
                                        const std::string& access_key) {
  s3::ClientOptions o;
  o.endpoint = *s3::ParseEndpoint(endpoint);
  o.credentials = {access_key, "fake-secret", ""};
  o.pool.base_backoff = std::chrono::milliseconds(1);
  o.pool.max_backoff = std::chrono::milliseconds(4);
  o.pool.throttle_budget = std::chrono::milliseconds(200);
  return o;
}

FakeS3::~FakeS3() { Stop(); }

void FakeS3::Stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  // What is left ends cancelled, requests and posted work alike. A
  // completion may send or post again (cancelled too, so a retry or a timer
  // does not go on for ever): drain until nothing is left.
  const Status cancelled(StatusCode::kCancelled, "the fake gateway stopped");
  for (;;) {
    Task t;
    {
      std::lock_guard lock(mu_);
      if (tasks_.empty()) return;
      t = std::move(tasks_.front());
      tasks_.pop_front();
    }
    t.fn(cancelled);
  }
}

void FakeS3::Queue(std::chrono::milliseconds delay, http::TimerCallback fn) {
  std::lock_guard lock(mu_);
  tasks_.push_back({std::chrono::steady_clock::now() + delay, seq_++, std::move(fn)});
  cv_.notify_all();
}

void FakeS3::Send(http::Request request, http::Callback done) {
  auto shared = std::make_shared<std::pair<http::Request, http::Callback>>(std::move(request),
                                                                           std::move(done));
  std::chrono::milliseconds latency;
  {
    std::lock_guard lock(mu_);
    latency = latency_;
  }
  // Once stopped, completed by the next Stop's drain, never from inside Send.
  Queue(latency, [this, shared](Status due) {
    bool stopped;
    {
      std::lock_guard lock(mu_);
      stopped = stopped_;
    }
    http::Response r;
    if (!due.ok() || stopped) {
      r.transport = Status(StatusCode::kCancelled, "the fake gateway stopped");
    } else {
      r = Exchange(shared->first);
    }
    shared->second(std::move(r));
  });
}

void FakeS3::Post(std::chrono::milliseconds delay, http::TimerCallback fn) {
  Queue(delay, std::move(fn));
}

void FakeS3::Loop() {
  std::unique_lock lock(mu_);
  while (!stopped_) {
    if (tasks_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto it = std::min_element(tasks_.begin(), tasks_.end(), [](const Task& a, const Task& b) {
      return a.when != b.when ? a.when < b.when : a.seq < b.seq;
    });
    if (it->when > std::chrono::steady_clock::now()) {
      cv_.wait_until(lock, it->when);
      continue;
    }
    Task t = std::move(*it);
    tasks_.erase(it);
    lock.unlock();
    t.fn(Status::Ok());
    lock.lock();
  }
}

StatusOr<S3Call> FakeS3::Parse(const http::Request& request) {
  S3Call c;
  c.method = request.method;
  c.headers = request.headers;
  const std::string& url = request.url;
  size_t scheme = url.find("://");
  size_t path_at = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path_at == std::string::npos) return InvalidArgument("no path in '" + url + "'");
  size_t q = url.find('?', path_at);
  std::string path;
  if (!s3::UriDecode(url.substr(path_at + 1, q == std::string::npos ? q : q - path_at - 1),
                     &path)) {
    return InvalidArgument("bad escape in '" + url + "'");
  }
  size_t slash = path.find('/');
  c.bucket = path.substr(0, slash);
  if (slash != std::string::npos) c.key = path.substr(slash + 1);
  if (q != std::string::npos) {
    std::string_view query = std::string_view(url).substr(q + 1);
    while (!query.empty()) {
      size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      size_t eq = pair.find('=');
      std::string name, value;
      if (!s3::UriDecode(pair.substr(0, eq), &name) ||
          (eq != std::string_view::npos && !s3::UriDecode(pair.substr(eq + 1), &value))) {
        return InvalidArgument("bad escape in '" + url + "'");
      }
      c.query[name] = value;
      if (amp == std::string_view::npos) break;
      query = query.substr(amp + 1);
    }
  }
  c.op = OpOf(c);
  return c;
}

// On the fake's thread: what curl and the gateway would do together.
// NOLINTNEXTLINE(readability-function-size): a dispatch, one S3 call after another
http::Response FakeS3::Exchange(http::Request& request) {
  http::Response r;
  auto body = ReadBody(request.body.get());
  if (!body.ok()) {
    r.transport = body.status();
    return r;
  }
  r.bytes_sent = body->size();
  auto call = Parse(request);
  if (!call.ok()) {
    r.status = 400;
    r.body = "<Error><Code>InvalidURI</Code><Message>" + XmlEscape(call.status().message()) +
             "</Message></Error>";
    return r;
  }
  std::function<void(const S3Call&)> on_request;
  {
    std::lock_guard lock(mu_);
    on_request = on_request_;
  }
  if (on_request) on_request(*call);

  Reply reply;
  {
    std::lock_guard lock(mu_);
    ++op_counts_[call->op];
    ++method_counts_[call->method];
    log_.push_back(call->op + " " + call->bucket + (call->key.empty() ? "" : "/" + call->key));
    bool faulted = false;
    for (Rule& rule : faults_) {
      if (rule.fault.times == 0 || !rule.match(*call)) continue;
      if (rule.fault.times > 0) --rule.fault.times;
      reply = rule.fault.transport.ok()
                  ? Error(rule.fault.status, rule.fault.code, "injected by the test",
                          call->bucket + "/" + call->key)
                  : Reply{0, {}, "", rule.fault.transport};
      faulted = true;
      break;
    }
    for (auto& [match, page] : scripts_) {
      if (faulted || !match(*call)) continue;
      reply = Reply::Bare(200);
      reply.body = page(*call);
      faulted = true;
    }
    if (!faulted) reply = Serve(*call, *body);
    if (!faulted && call->op == "GetObject" && reply.status / 100 == 2 && !reply.body.empty()) {
      for (Corruption& c : corruptions_) {
        if (c.times == 0 || !c.match(*call)) continue;
        if (c.times > 0) --c.times;
        reply.body[reply.body.size() / 2] ^= 0x01;
        break;
      }
    }
    reply.headers.emplace_back("x-amz-request-id", "fake-" + std::to_string(next_request_++));
  }
  if (!reply.transport.ok()) {
    r.transport = reply.transport;
    return r;
  }
  r.status = reply.status;
  for (auto& [name, value] : reply.headers) r.headers.emplace_back(Lower(name), value);
  if (request.method == "HEAD") reply.body.clear();
  r.bytes_received = reply.body.size();
  if (r.status / 100 != 2 || !request.sink) {
    r.body = std::move(reply.body);
    return r;
  }
  if (request.max_body > 0 && reply.body.size() > request.max_body) {
    r.transport = DataLoss("the answer's body is longer than the " +
                           std::to_string(request.max_body) + " bytes expected");
    return r;
  }
  for (size_t at = 0; at < reply.body.size(); at += kChunk) {
    Status s = request.sink->Write(std::string_view(reply.body).substr(at, kChunk));
    if (!s.ok()) {
      r.transport = s;
      break;
    }
  }
  return r;
}

FakeS3::Reply FakeS3::Error(int status, const std::string& code, const std::string& message,
                            const std::string& resource) const {
  Reply r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/xml");
  r.body = std::string(kXmlHead) + "<Error><Code>" + XmlEscape(code) + "</Code><Message>" +
           XmlEscape(message) + "</Message><Resource>" + XmlEscape(resource) +
           "</Resource><RequestId>fake</RequestId></Error>";
  return r;
}

FakeS3::Reply FakeS3::Serve(const S3Call& call, const std::string& body) {
  if (call.op == "ListBuckets") return ListBuckets();
  if (call.op == "Unknown") {
    return Error(405, "MethodNotAllowed", "not an operation the fake knows", call.bucket);
  }
  if (call.key.empty()) return BucketRequest(call, body);
  auto b = buckets_.find(call.bucket);
  if (b == buckets_.end()) {
    return Error(404, "NoSuchBucket", "The specified bucket does not exist", call.bucket);
  }
  return ObjectRequest(call, b->second, body);
}

// Setup and inspection.

void FakeS3::CreateBucket(const std::string& bucket) {
  std::lock_guard lock(mu_);
  buckets_[bucket];
}

void FakeS3::PutObject(const std::string& bucket, const std::string& key, std::string data,
                       std::map<std::string, std::string> metadata) {
  std::lock_guard lock(mu_);
  Object& o = buckets_[bucket].objects[key];
  o.etag = hash::Hex(hash::Md5(data));
  o.data = std::move(data);
  o.metadata = std::move(metadata);
  o.content_type = "binary/octet-stream";
  o.last_modified = Now();
}

void FakeS3::PutMultipartObject(const std::string& bucket, const std::string& key,
                                const std::vector<std::string>& parts,
                                std::map<std::string, std::string> metadata) {
  std::vector<std::string> md5s;
  std::string data;
  for (const auto& p : parts) {
    md5s.push_back(hash::Hex(hash::Md5(p)));
    data += p;
  }
  std::lock_guard lock(mu_);
  Object& o = buckets_[bucket].objects[key];
  o.data = std::move(data);
  o.etag = fake_s3::MultipartEtag(md5s);
  o.metadata = std::move(metadata);
  o.content_type = "binary/octet-stream";
  o.last_modified = Now();
}

void FakeS3::DeleteObject(const std::string& bucket, const std::string& key) {
  std::lock_guard lock(mu_);
  buckets_[bucket].objects.erase(key);
}

bool FakeS3::HasBucket(const std::string& bucket) const {
  std::lock_guard lock(mu_);
  return buckets_.count(bucket) > 0;
}

std::optional<FakeS3::Object> FakeS3::GetObject(const std::string& bucket,
                                                const std::string& key) const {
  std::lock_guard lock(mu_);
  auto b = buckets_.find(bucket);
  if (b == buckets_.end()) return std::nullopt;
  auto o = b->second.objects.find(key);
  if (o == b->second.objects.end()) return std::nullopt;
  return o->second;
}

std::map<std::string, std::string> FakeS3::Contents(const std::string& bucket,
                                                    const std::string& prefix) const {
  std::lock_guard lock(mu_);
  std::map<std::string, std::string> out;
  auto b = buckets_.find(bucket);
  if (b == buckets_.end()) return out;
  for (auto it = b->second.objects.lower_bound(prefix);
       it != b->second.objects.end() && it->first.starts_with(prefix); ++it) {
    out[it->first.substr(prefix.size())] = it->second.data;
  }
  return out;
}

size_t FakeS3::UploadsInProgress(const std::string& bucket) const {
  std::lock_guard lock(mu_);
  auto b = buckets_.find(bucket);
  return b == buckets_.end() ? 0 : b->second.uploads.size();
}

int FakeS3::CountOp(const std::string& op) const {
  std::lock_guard lock(mu_);
  auto it = op_counts_.find(op);
  return it == op_counts_.end() ? 0 : it->second;
}

int FakeS3::CountMethod(const std::string& method) const {
  std::lock_guard lock(mu_);
  auto it = method_counts_.find(method);
  return it == method_counts_.end() ? 0 : it->second;
}

std::vector<std::string> FakeS3::Log() const {
  std::lock_guard lock(mu_);
  return log_;
}

void FakeS3::ResetCounts() {
  std::lock_guard lock(mu_);
  op_counts_.clear();
  method_counts_.clear();
  log_.clear();
}

void FakeS3::Script(Match match, std::function<std::string(const S3Call&)> page) {
  std::lock_guard lock(mu_);
  scripts_.emplace_back(std::move(match), std::move(page));
}

void FakeS3::Fail(Match match, Fault fault) {
  std::lock_guard lock(mu_);
  faults_.push_back({std::move(match), std::move(fault)});
}

void FakeS3::CorruptGets(Match match, int times) {
  std::lock_guard lock(mu_);
  corruptions_.push_back({std::move(match), times});
}

void FakeS3::OnRequest(std::function<void(const S3Call&)> fn) {
  std::lock_guard lock(mu_);
  on_request_ = std::move(fn);
}

void FakeS3::set_latency(std::chrono::milliseconds latency) {
  std::lock_guard lock(mu_);
  latency_ = latency;
}

void FakeS3::set_min_part_size(uint64_t bytes) {
  std::lock_guard lock(mu_);
  min_part_size_ = bytes;
}

void FakeS3::set_empty_complete_etag(bool empty) {
  std::lock_guard lock(mu_);
  empty_complete_etag_ = empty;
}

void FakeS3::set_uploads_page_size(size_t n) {
  std::lock_guard lock(mu_);
  uploads_page_size_ = std::max<size_t>(n, 1);
}

FakeS3::Match FakeS3::Op(std::string op) {
  return [op = std::move(op)](const S3Call& c) { return c.op == op; };
}

FakeS3::Match FakeS3::OpKey(std::string op, std::string key) {
  return [op = std::move(op), key = std::move(key)](const S3Call& c) {
    return c.op == op && c.key == key;
  };
}

}  // namespace gwsync::testing
