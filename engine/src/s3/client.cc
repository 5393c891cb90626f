// size: one short method per S3 operation over the shared Build and Execute.
#include "s3/client.h"

#include <algorithm>
#include <charconv>

#include "hash/hash.h"
#include "http/bodies.h"
#include "http/range.h"
#include "s3/errors.h"
#include "s3/headers.h"
#include "s3/uri.h"
#include "s3/xml.h"

namespace gwsync::s3 {

// One S3 operation before addressing and signing.
struct Client::Call {
  std::string method;
  std::string bucket;
  std::string key;
  QueryParams query;
  http::Headers headers;
  std::shared_ptr<http::BodySource> body;  // streamed: sent as UNSIGNED-PAYLOAD
  std::string payload;                     // small in-memory body: hashed and signed
  std::shared_ptr<http::BodySink> sink;
  uint64_t max_body = 0;  // http::Request::max_body
  std::string resource;   // names the target in error messages
  // Whether it may be sent again once it reached the gateway: not
  // CompleteMultipartUpload, which may have completed the object.
  gateway::Idempotency idempotency = gateway::Idempotency::kIdempotent;
};

namespace {
Client::Call NewCall(std::string method, std::string bucket, std::string key,
                     std::string resource) {
  Client::Call c;
  c.method = std::move(method);
  c.bucket = std::move(bucket);
  c.key = std::move(key);
  c.resource = std::move(resource);
  return c;
}
}  // namespace

namespace {

std::string ObjectResource(const std::string& bucket, const std::string& key) {
  return "s3://" + bucket + "/" + key;
}

std::string BucketResource(const std::string& bucket) { return "bucket '" + bucket + "'"; }

void AddPutHeaders(const PutOptions& options, http::Headers* headers) {
  if (!options.content_md5.empty()) headers->emplace_back("Content-MD5", options.content_md5);
  if (!options.content_type.empty()) headers->emplace_back("Content-Type", options.content_type);
  const ContentHeaders& c = options.content;
  for (const auto& [name, value] : {std::pair{"Cache-Control", &c.cache_control},
                                    {"Content-Disposition", &c.content_disposition},
                                    {"Content-Encoding", &c.content_encoding},
                                    {"Content-Language", &c.content_language},
                                    {"Expires", &c.expires}}) {
    if (!value->empty()) headers->emplace_back(name, *value);
  }
  if (!options.tagging.empty()) headers->emplace_back("x-amz-tagging", options.tagging);
  for (const auto& [name, value] : options.metadata) {
    headers->emplace_back("x-amz-meta-" + name, value);
  }
}

std::string Md5Base64(std::string_view data) { return hash::Base64(hash::Md5(data)); }

http::RangeAsked HttpRange(const ByteRange& range) {
  if (range.last == ByteRange::kToTheEnd) return {range.first, std::nullopt};
  return {range.first, range.last};
}

std::vector<Endpoint> AllEndpoints(const ClientOptions& options) {
  std::vector<Endpoint> all{options.endpoint};
  all.insert(all.end(), options.more_endpoints.begin(), options.more_endpoints.end());
  return all;
}

std::vector<std::string> Names(const std::vector<Endpoint>& endpoints) {
  std::vector<std::string> names;
  for (const auto& e : endpoints) names.push_back(e.BaseUrl());
  return names;
}

}  // namespace

Client::Client(http::Transport* transport, ClientOptions options)
    : transport_(transport),
      options_(std::move(options)),
      endpoints_(AllEndpoints(options_)),
      pool_(std::make_shared<gateway::Pool>(Names(endpoints_), options_.pool, transport_)),
      executor_(pool_.get(), transport_) {}

http::Request Client::Build(Call& call, const Endpoint& ep) const {
  std::string host = ep.HostHeader();
  std::string path = "/";
  // Decided per request: a bucket that cannot be a host name goes path-style.
  const bool virtual_host =
      options_.virtual_host && !call.bucket.empty() && VirtualHostAddressable(call.bucket, ep);
  if (!call.bucket.empty()) {
    if (virtual_host) {
      host = call.bucket + "." + host;
    } else {
      path += call.bucket;
      if (!call.key.empty()) path += "/";
    }
    path += UriEncode(call.key, /*encode_slash=*/false);
  }

  http::Request req;
  req.method = call.method;
  req.url = ep.scheme + "://" + host + path;
  if (!call.query.empty()) req.url += "?" + CanonicalQuery(call.query);
  req.connect_timeout = options_.connect_timeout;
  req.stall_timeout = options_.stall_timeout;
  req.min_rate = options_.min_rate;
  req.sink = std::move(call.sink);
  req.max_body = call.max_body;

  SignableRequest sr;
  sr.method = call.method;
  sr.host = host;
  sr.encoded_path = path;
  sr.query = std::move(call.query);
  sr.headers = std::move(call.headers);
  if (!call.payload.empty()) {
    sr.payload_hash = hash::Sha256Hex(call.payload);
    req.body = std::make_shared<http::StringSource>(std::move(call.payload));
  } else if (call.body) {
    sr.payload_hash = std::string(kUnsignedPayload);
    req.body = std::move(call.body);
  } else {
    sr.payload_hash = std::string(kEmptyPayloadHash);
  }
  auto now = std::chrono::system_clock::now();
  if (options_.signature == SignatureVersion::kV4) {
    V4Scope scope;
    scope.region = options_.region;
    SignV4(&sr, options_.credentials, scope, now);
  } else {
    // SigV2 signs the bucket in the resource even when it is in the host name.
    if (virtual_host) sr.encoded_path = "/" + call.bucket + path;
    SignV2(&sr, options_.credentials, now);
  }
  req.headers = std::move(sr.headers);
  return req;
}

namespace {

// Set just before an operation's completion callback runs (LastAttempt).
thread_local AttemptInfo last_attempt;

}  // namespace

const AttemptInfo& Client::LastAttempt() { return last_attempt; }

// The attempts (endpoint choice, retries, failover) are the executor's; each
// one addresses and signs a copy of the call for its endpoint.
void Client::Execute(Call call, std::function<void(http::Response, Status)> done) const {
  gateway::Call attempts;
  attempts.idempotency = call.idempotency;
  attempts.body = call.body;  // a payload is made afresh by Build
  attempts.sink = call.sink;
  auto shared = std::make_shared<const Call>(std::move(call));
  attempts.build = [this, shared](int index) {
    Call copy = *shared;  // Build consumes its copy
    return Build(copy, endpoints_[index]);
  };
  executor_.Run(std::move(attempts),
                [this, shared, done = std::move(done)](http::Response r, const AttemptInfo& info) {
                  // Names the server of a reply that may not be S3's.
                  std::string endpoint;
                  if (r.status >= 400 && info.endpoint >= 0 &&
                      info.endpoint < static_cast<int>(endpoints_.size())) {
                    endpoint = endpoints_[info.endpoint].BaseUrl();
                  }
                  Status s = StatusFromResponse(r, shared->resource, endpoint);
                  last_attempt = info;
                  done(std::move(r), std::move(s));
                });
}

void Client::ListBuckets(Done<std::vector<BucketInfo>> done) const {
  Call c = NewCall("GET", "", "", "the bucket list");
  Execute(std::move(c), [this, done](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    auto buckets = xml::ParseListBuckets(r.body);
    const int at = LastAttempt().endpoint;
    if (!buckets.ok() && !HasAmzHeader(r) && at >= 0 && at < static_cast<int>(endpoints_.size())) {
      // A web server's page (its index.html): not a gateway with a broken
      // answer, and not a matter of keys.
      Status not_s3(StatusCode::kFailedPrecondition,
                    endpoints_[at].BaseUrl() + ": not an S3 gateway (HTTP " +
                        std::to_string(r.status) + " with a body that is not a bucket list)");
      not_s3.WithS3(r.status, "", "");
      return done(not_s3);
    }
    done(std::move(buckets));
  });
}

void Client::CreateBucket(const std::string& bucket, DoneStatus done) const {
  Call c = NewCall("PUT", bucket, "", BucketResource(bucket));
  Execute(std::move(c), [done](http::Response, Status s) { done(s); });
}

void Client::CreateBucketWithObjectLock(const std::string& bucket, DoneStatus done) const {
  Call c = NewCall("PUT", bucket, "", BucketResource(bucket));
  c.headers.emplace_back("x-amz-bucket-object-lock-enabled", "true");
  Execute(std::move(c), [done](http::Response, Status s) { done(s); });
}

void Client::DeleteBucket(const std::string& bucket, DoneStatus done) const {
  Call c = NewCall("DELETE", bucket, "", BucketResource(bucket));
  Execute(std::move(c), [done](http::Response, Status s) { done(s); });
}

void Client::HeadBucket(const std::string& bucket, DoneStatus done) const {
  Call c = NewCall("HEAD", bucket, "", BucketResource(bucket));
  Execute(std::move(c), [done](http::Response, Status s) { done(s); });
}

void Client::StatBucket(const std::string& bucket, Done<BucketHead> done) const {
  Call c = NewCall("HEAD", bucket, "", BucketResource(bucket));
  Execute(std::move(c), [done](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    done(BucketHeadFromHeaders(r));
  });
}

void Client::GetBucketSubresource(const std::string& bucket, const std::string& name,
                                  Done<std::string> done) const {
  Call c = NewCall("GET", bucket, "", BucketResource(bucket) + " (" + name + ")");
  c.query.emplace_back(name, "");
  Execute(std::move(c), [done](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    done(std::move(r.body));
  });
}

void Client::PutBucketSubresource(const std::string& bucket, const std::string& name,
                                  const std::string& body, DoneStatus done) const {
  Call c = NewCall("PUT", bucket, "", BucketResource(bucket) + " (" + name + ")");
  c.query.emplace_back(name, "");
  c.payload = body;
  c.headers.emplace_back("Content-MD5", Md5Base64(body));
  c.headers.emplace_back("Content-Type", name == "policy" ? "application/json" : "application/xml");
  Execute(std::move(c), [done](http::Response, Status s) { done(s); });
}

void Client::DeleteBucketSubresource(const std::string& bucket, const std::string& name,
                                     DoneStatus done, const std::string& value) const {
  Call c = NewCall("DELETE", bucket, "", BucketResource(bucket) + " (" + name + ")");
  c.query.emplace_back(name, value);
  Execute(std::move(c), [done](http::Response, Status s) { done(s); });
}

void Client::PostAction(const std::vector<std::pair<std::string, std::string>>& form,
                        const std::string& what, Done<std::string> done) const {
  Call c = NewCall("POST", "", "", what);
  std::string body;
  for (const auto& [name, value] : form) {
    body += (body.empty() ? "" : "&") + UriEncode(name, true) + "=" + UriEncode(value, true);
  }
  c.payload = std::move(body);
  c.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  // CreateTopic of an existing name answers the same topic: sent again safely.
  Execute(std::move(c), [done](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    done(std::move(r.body));
  });
}

void Client::ListObjects(const std::string& bucket, const ListOptions& o,
                         Done<ListPage> done) const {
  Call c = NewCall("GET", bucket, "", BucketResource(bucket));
  auto add = [&c](std::string name, const std::string& value) {
    if (!value.empty()) c.query.emplace_back(std::move(name), value);
  };
  if (!o.v1) c.query.emplace_back("list-type", "2");
  c.query.emplace_back("encoding-type", "url");
  c.query.emplace_back("max-keys", std::to_string(o.max_keys));
  add("prefix", o.prefix);
  add("delimiter", o.delimiter);
  if (o.v1) {
    add("marker", o.continuation.empty() ? o.start_after : o.continuation);
  } else {
    add("continuation-token", o.continuation);
    add("start-after", o.start_after);
  }
  Execute(std::move(c), [done](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    done(xml::ParseListObjects(r.body));
  });
}

void Client::HeadObject(const std::string& bucket, const std::string& key, Done<ObjectHead> done,
                        const std::string& version_id) const {
  std::string resource = ObjectResource(bucket, key);
  Call c = NewCall("HEAD", bucket, key, resource);
  if (!version_id.empty()) c.query.emplace_back("versionId", version_id);
  Execute(std::move(c), [done, resource](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    auto head = HeadFromHeaders(r);
    if (!head.ok()) return done(head.status().Annotate(resource));
    done(std::move(*head));
  });
}

void Client::ListObjectVersions(const std::string& bucket, const VersionListOptions& o,
                                Done<VersionsPage> done) const {
  Call c = NewCall("GET", bucket, "", BucketResource(bucket) + " (versions)");
  c.query.emplace_back("versions", "");
  c.query.emplace_back("encoding-type", "url");
  c.query.emplace_back("max-keys", std::to_string(o.max_keys));
  if (!o.prefix.empty()) c.query.emplace_back("prefix", o.prefix);
  if (!o.key_marker.empty()) c.query.emplace_back("key-marker", o.key_marker);
  if (!o.version_id_marker.empty()) c.query.emplace_back("version-id-marker", o.version_id_marker);
  Execute(std::move(c), [done](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    done(xml::ParseListObjectVersions(r.body));
  });
}

void Client::HeadObjectPart(const std::string& bucket, const std::string& key, int part_number,
                            Done<ObjectHead> done) const {
  std::string resource = ObjectResource(bucket, key) + " part " + std::to_string(part_number);
  Call c = NewCall("HEAD", bucket, key, resource);
  c.query.emplace_back("partNumber", std::to_string(part_number));
  Execute(std::move(c), [done, resource](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    auto head = HeadFromHeaders(r);
    if (!head.ok()) return done(head.status().Annotate(resource));
    done(std::move(*head));
  });
}

void Client::GetObject(const std::string& bucket, const std::string& key, const GetOptions& options,
                       std::shared_ptr<http::BodySink> sink, Done<ObjectHead> done) const {
  const std::optional<ByteRange>& range = options.range;
  Call c = NewCall("GET", bucket, key, ObjectResource(bucket, key));
  if (!options.version_id.empty()) c.query.emplace_back("versionId", options.version_id);
  c.sink = std::move(sink);
  // Never more than the range asked for, or the size the listing gave.
  if (range) {
    c.max_body = range->last == ByteRange::kToTheEnd ? 0 : range->last - range->first + 1;
  } else if (options.expected_size) {
    c.max_body = std::max<uint64_t>(*options.expected_size, 1);
  }
  if (range) {
    c.headers.emplace_back("Range", http::FormatRange(HttpRange(*range)));
  }
  if (!options.if_match.empty()) c.headers.emplace_back("If-Match", "\"" + options.if_match + "\"");
  std::string resource = ObjectResource(bucket, key);
  Execute(std::move(c), [done, range, resource](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    if (range && r.status != 206) {
      return done(Internal(resource + ": the gateway ignored the byte range (HTTP " +
                           std::to_string(r.status) + ")"));
    }
    auto head = HeadFromHeaders(r);
    if (!head.ok()) return done(head.status().Annotate(resource));
    done(std::move(*head));
  });
}

void Client::PutObject(const std::string& bucket, const std::string& key,
                       std::shared_ptr<http::BodySource> body, const PutOptions& options,
                       Done<std::string> done) const {
  Call c = NewCall("PUT", bucket, key, ObjectResource(bucket, key));
  c.body = std::move(body);
  AddPutHeaders(options, &c.headers);
  Execute(std::move(c), [done](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    done(xml::UnquoteEtag(r.header("etag")));
  });
}

void Client::CopyObject(const std::string& src_bucket, const std::string& src_key,
                        const std::string& bucket, const std::string& key,
                        Done<std::string> done) const {
  // Named by both ends: a NoSuchKey, or a NoSuchBucket, may be the source's.
  Call c =
      NewCall("PUT", bucket, key,
              "copy " + ObjectResource(src_bucket, src_key) + " -> " + ObjectResource(bucket, key));
  c.headers.emplace_back("x-amz-copy-source",
                         "/" + src_bucket + "/" + UriEncode(src_key, /*encode_slash=*/false));
  c.headers.emplace_back("x-amz-metadata-directive", "COPY");
  Execute(std::move(c), [done](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    done(xml::ParseCopyObject(r.body));
  });
}

void Client::GetObjectTagging(const std::string& bucket, const std::string& key,
                              Done<std::vector<std::pair<std::string, std::string>>> done,
                              const std::string& version_id) const {
  std::string resource = ObjectResource(bucket, key) + " (tagging)";
  Call c = NewCall("GET", bucket, key, resource);
  c.query.emplace_back("tagging", "");
  if (!version_id.empty()) c.query.emplace_back("versionId", version_id);
  Execute(std::move(c), [done, resource](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    auto tags = xml::ParseTagging(r.body);
    if (!tags.ok()) return done(tags.status().Annotate(resource));
    done(std::move(*tags));
  });
}

void Client::DeleteObjects(const std::string& bucket, const std::vector<std::string>& keys,
                           Done<std::vector<DeleteError>> done) const {
  Call c = NewCall("POST", bucket, "", BucketResource(bucket));
  c.query.emplace_back("delete", "");
  c.payload = xml::BuildDelete(keys);
  c.headers.emplace_back("Content-MD5", Md5Base64(c.payload));
  c.headers.emplace_back("Content-Type", "application/xml");
  Execute(std::move(c), [done](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    done(xml::ParseDeleteResult(r.body));
  });
}

void Client::DeleteObject(const std::string& bucket, const std::string& key,
                          DoneStatus done) const {
  Call c = NewCall("DELETE", bucket, key, ObjectResource(bucket, key));
  Execute(std::move(c), [done](http::Response, Status s) { done(s); });
}

void Client::CreateMultipartUpload(const std::string& bucket, const std::string& key,
                                   const PutOptions& options, Done<std::string> done) const {
  Call c = NewCall("POST", bucket, key, ObjectResource(bucket, key));
  c.query.emplace_back("uploads", "");
  PutOptions no_md5 = options;
  no_md5.content_md5.clear();
  AddPutHeaders(no_md5, &c.headers);
  Execute(std::move(c), [done](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    done(xml::ParseInitiateMultipart(r.body));
  });
}

void Client::UploadPart(const std::string& bucket, const std::string& key,
                        const std::string& upload_id, int part_number,
                        std::shared_ptr<http::BodySource> body, const std::string& content_md5,
                        Done<std::string> done) const {
  Call c = NewCall("PUT", bucket, key, ObjectResource(bucket, key));
  c.resource = ObjectResource(bucket, key) + " part " + std::to_string(part_number);
  c.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
  c.body = std::move(body);
  if (!content_md5.empty()) c.headers.emplace_back("Content-MD5", content_md5);
  Execute(std::move(c), [done](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    done(xml::UnquoteEtag(r.header("etag")));
  });
}

void Client::UploadPartCopy(const std::string& src_bucket, const std::string& src_key,
                            const ByteRange& range, const std::string& if_match,
                            const std::string& bucket, const std::string& key,
                            const std::string& upload_id, int part_number,
                            Done<std::string> done) const {
  Call c = NewCall("PUT", bucket, key,
                   "copy " + ObjectResource(src_bucket, src_key) + " -> " +
                       ObjectResource(bucket, key) + " part " + std::to_string(part_number));
  c.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
  c.headers.emplace_back("x-amz-copy-source",
                         "/" + src_bucket + "/" + UriEncode(src_key, /*encode_slash=*/false));
  c.headers.emplace_back("x-amz-copy-source-range", http::FormatRange({range.first, range.last}));
  if (!if_match.empty())
    c.headers.emplace_back("x-amz-copy-source-if-match", "\"" + if_match + "\"");
  Execute(std::move(c), [done](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    done(xml::ParseCopyObject(r.body));
  });
}

void Client::CompleteMultipartUpload(const std::string& bucket, const std::string& key,
                                     const std::string& upload_id,
                                     const std::vector<PartInfo>& parts,
                                     Done<std::string> done) const {
  Call c = NewCall("POST", bucket, key, ObjectResource(bucket, key));
  c.query.emplace_back("uploadId", upload_id);
  c.idempotency = gateway::Idempotency::kNotAfterSend;
  c.payload = xml::BuildCompleteMultipart(parts);
  c.headers.emplace_back("Content-Type", "application/xml");
  Execute(std::move(c), [done](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    done(xml::ParseCompleteMultipart(r.body));
  });
}

void Client::AbortMultipartUpload(const std::string& bucket, const std::string& key,
                                  const std::string& upload_id, DoneStatus done) const {
  Call c = NewCall("DELETE", bucket, key, ObjectResource(bucket, key));
  c.query.emplace_back("uploadId", upload_id);
  Execute(std::move(c), [done](http::Response, Status s) { done(s); });
}

void Client::ListParts(const std::string& bucket, const std::string& key,
                       const std::string& upload_id, int part_number_marker,
                       Done<PartsPage> done) const {
  Call c = NewCall("GET", bucket, key, ObjectResource(bucket, key));
  c.query.emplace_back("uploadId", upload_id);
  if (part_number_marker > 0) {
    c.query.emplace_back("part-number-marker", std::to_string(part_number_marker));
  }
  Execute(std::move(c), [done](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    done(xml::ParseListParts(r.body));
  });
}

void Client::ListMultipartUploads(const std::string& bucket, const std::string& key_marker,
                                  const std::string& upload_id_marker,
                                  Done<UploadsPage> done) const {
  Call c = NewCall("GET", bucket, "", BucketResource(bucket));
  c.query.emplace_back("uploads", "");
  if (!key_marker.empty()) c.query.emplace_back("key-marker", key_marker);
  if (!upload_id_marker.empty()) c.query.emplace_back("upload-id-marker", upload_id_marker);
  Execute(std::move(c), [done](http::Response r, Status s) {
    if (!s.ok()) return done(s);
    done(xml::ParseListMultipartUploads(r.body));
  });
}

}  // namespace gwsync::s3
