// Client speaks the S3 protocol to one gateway: it addresses (path-style by
// default, or virtual-host), signs (SigV4 or SigV2) and sends each operation
// through an http::Transport, and maps the reply onto Status and plain values.
// Every operation has an asynchronous form (the callback runs on the
// transport's thread and must not block) and most a blocking one for callers
// off that thread. A Client is immutable after construction and safe to use
// from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/executor.h"
#include "gateway/pool.h"
#include "http/request.h"
#include "s3/signer.h"
#include "s3/types.h"
#include "s3/url.h"

namespace gwsync::s3 {

struct ClientOptions {
  Endpoint endpoint;                     // the first gateway
  std::vector<Endpoint> more_endpoints;  // more gateways of the same cluster
  gateway::PoolOptions pool;
  Credentials credentials;
  SignatureVersion signature = SignatureVersion::kV4;
  std::string region = "us-east-1";
  // bucket.host addressing instead of host/bucket, for the buckets that can
  // be host names (VirtualHostAddressable); the others stay path-style.
  bool virtual_host = false;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds stall_timeout{60000};
  // Each request's overall deadline (http::Request::min_rate): it must end
  // within stall_timeout + its bytes at this many bytes/s. 0: none.
  uint64_t min_rate = 16 << 10;
  // The most keys one listing of a bucket may return (--list-limit); 0: as
  // the bucket's count allows (s3/page_check.h, ListBudget).
  uint64_t list_limit = 0;
};

// Which endpoint served an operation and how its last HTTP attempt went, for
// callers that measure the gateway (gwsync bench). The endpoint index: 0 =
// ClientOptions::endpoint, then more_endpoints.
using AttemptInfo = gateway::AttemptInfo;

template <typename T>
using Done = std::function<void(StatusOr<T>)>;
using DoneStatus = std::function<void(Status)>;

struct ListOptions {
  std::string prefix;
  std::string delimiter;
  std::string continuation;  // V2 continuation token, or V1 marker
  std::string start_after;
  int max_keys = 1000;
  bool v1 = false;
};

// The headers besides Content-Type that an object keeps as its PUT (or
// CreateMultipartUpload) set them and gives back on GET and HEAD.
struct ContentHeaders {
  std::string cache_control, content_disposition, content_encoding, content_language, expires;
  bool operator==(const ContentHeaders&) const = default;
};

struct ObjectHead {
  uint64_t size = 0;  // the whole object's, also when a range or part was asked
  // The bytes this answer carried or announced (Content-Length): a part's
  // length when a part was asked.
  uint64_t content_length = 0;
  // x-amz-mp-parts-count: the parts of a multipart object, when the gateway
  // says (an answer to a request by part number); 0 otherwise.
  int parts_count = 0;
  std::string etag;  // without quotes
  std::string last_modified;
  std::string content_type;
  ContentHeaders content;
  std::map<std::string, std::string> metadata;  // x-amz-meta-NAME -> value, NAME lower-cased
  // x-amz-tagging-count: how many tags the object has (GetObjectTagging
  // reads them); 0 when the gateway does not say.
  int tag_count = 0;
};

struct BucketHead {
  // What the gateway says the bucket holds (RGW's X-RGW-Object-Count);
  // nullopt when it does not say.
  std::optional<uint64_t> object_count;
  // The bytes of its objects (X-RGW-Bytes-Used); nullopt when it does not say.
  std::optional<uint64_t> bytes_used;
};

struct PutOptions {
  std::string content_md5;  // base64; empty: none sent
  std::string content_type;
  ContentHeaders content;
  std::map<std::string, std::string> metadata;  // sent as x-amz-meta-NAME
  // The object's tags, as x-amz-tagging takes them ("k=v&k2=v2", each
  // URL-encoded: TagsToQuery); empty: none.
  std::string tagging;
};

struct ByteRange {
  // "bytes=FIRST-": to the end, however long the object is (its size then
  // comes back in Content-Range, which bounds the body).
  static constexpr uint64_t kToTheEnd = UINT64_MAX;
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive, or kToTheEnd
};

struct GetOptions {
  std::optional<ByteRange> range;  // a 206 is then required
  std::string if_match;            // ETag the object must still have
  // The size the caller knows (from a listing): a body longer than this is
  // refused as it arrives instead of written on.
  std::optional<uint64_t> expected_size;
  // One version of a versioned bucket's key (?versionId=); empty: the current.
  std::string version_id;
};

// A page of ListObjectVersions (GET ?versions).
struct VersionListOptions {
  std::string prefix;
  std::string key_marker;
  std::string version_id_marker;
  int max_keys = 1000;
};

class Client {
 public:
  Client(http::Transport* transport, ClientOptions options);

  const ClientOptions& options() const { return options_; }
  // Requests, bytes, errors, latency and concurrency per gateway so far.
  std::vector<gateway::EndpointStats> EndpointStats() const { return pool_->Stats(); }
  // The last attempt of the operation whose completion callback is running:
  // valid only inside that callback, on the transport's thread.
  static const AttemptInfo& LastAttempt();

  // Service and buckets.
  void ListBuckets(Done<std::vector<BucketInfo>> done) const;
  void CreateBucket(const std::string& bucket, DoneStatus done) const;
  // A bucket that can hold locked objects (x-amz-bucket-object-lock-enabled):
  // S3 cannot turn object lock on later.
  void CreateBucketWithObjectLock(const std::string& bucket, DoneStatus done) const;
  void DeleteBucket(const std::string& bucket, DoneStatus done) const;
  void HeadBucket(const std::string& bucket, DoneStatus done) const;
  // HEAD bucket, with what its headers say.
  void StatBucket(const std::string& bucket, Done<BucketHead> done) const;

  // A bucket's settings, each a subresource ("versioning", "lifecycle",
  // "policy", "acl", "cors", "tagging", "object-lock"), as the gateway sends
  // and takes them: XML, or JSON for "policy". A setting the bucket does not
  // have is NotFound (NoSuchLifecycleConfiguration, ...); NoSuchBucket too,
  // so tell them apart by Status::s3_code(). The PUT carries Content-MD5,
  // which lifecycle and CORS require.
  void GetBucketSubresource(const std::string& bucket, const std::string& name,
                            Done<std::string> done) const;
  void PutBucketSubresource(const std::string& bucket, const std::string& name,
                            const std::string& body, DoneStatus done) const;
  // `value`: the subresource's argument (?notification=ID: that one only).
  void DeleteBucketSubresource(const std::string& bucket, const std::string& name, DoneStatus done,
                               const std::string& value = "") const;

  // A POST of form fields to the service's root, as the SNS-style actions
  // RGW serves on its S3 endpoint take them (Action=CreateTopic, GetTopic,
  // DeleteTopic, ...); the answer's body. `what` names it in errors.
  void PostAction(const std::vector<std::pair<std::string, std::string>>& form,
                  const std::string& what, Done<std::string> done) const;

  // Objects. ListObjects uses V2 unless options.v1.
  void ListObjects(const std::string& bucket, const ListOptions& options,
                   Done<ListPage> done) const;
  // `version_id`: that version of the key (empty: the current one).
  void HeadObject(const std::string& bucket, const std::string& key, Done<ObjectHead> done,
                  const std::string& version_id = "") const;
  // Every version and delete marker of the keys under options.prefix, keys
  // ascending and each key's versions newest first.
  void ListObjectVersions(const std::string& bucket, const VersionListOptions& options,
                          Done<VersionsPage> done) const;
  // HEAD ?partNumber=N: the part's length in content_length and the
  // object's part count in parts_count, where the gateway supports it (a
  // gateway that ignores the parameter answers for the whole object).
  void HeadObjectPart(const std::string& bucket, const std::string& key, int part_number,
                      Done<ObjectHead> done) const;
  // Streams the body into `sink` (2xx only).
  void GetObject(const std::string& bucket, const std::string& key, const GetOptions& options,
                 std::shared_ptr<http::BodySink> sink, Done<ObjectHead> done) const;
  // Returns the ETag the gateway reports.
  void PutObject(const std::string& bucket, const std::string& key,
                 std::shared_ptr<http::BodySource> body, const PutOptions& options,
                 Done<std::string> done) const;
  void CopyObject(const std::string& src_bucket, const std::string& src_key,
                  const std::string& bucket, const std::string& key, Done<std::string> done) const;
  // Deletes up to 1000 keys in one request; returns the keys that failed.
  void DeleteObjects(const std::string& bucket, const std::vector<std::string>& keys,
                     Done<std::vector<DeleteError>> done) const;
  void DeleteObject(const std::string& bucket, const std::string& key, DoneStatus done) const;
  // The object's tags (GET ?tagging), in the order the gateway lists them.
  void GetObjectTagging(const std::string& bucket, const std::string& key,
                        Done<std::vector<std::pair<std::string, std::string>>> done,
                        const std::string& version_id = "") const;

  // Multipart uploads.
  void CreateMultipartUpload(const std::string& bucket, const std::string& key,
                             const PutOptions& options, Done<std::string> done) const;
  void UploadPart(const std::string& bucket, const std::string& key, const std::string& upload_id,
                  int part_number, std::shared_ptr<http::BodySource> body,
                  const std::string& content_md5, Done<std::string> done) const;
  // Copies bytes [range.first, range.last] of src_bucket/src_key, as it is
  // while its ETag is `if_match` (empty: any), into a part, server-side;
  // returns the part's ETag (the MD5 of its bytes on RGW and AWS).
  void UploadPartCopy(const std::string& src_bucket, const std::string& src_key,
                      const ByteRange& range, const std::string& if_match,
                      const std::string& bucket, const std::string& key,
                      const std::string& upload_id, int part_number, Done<std::string> done) const;
  // Returns the ETag of the completed object (may be empty on RGW releases
  // that send <ETag></ETag>: HEAD the object to learn it).
  void CompleteMultipartUpload(const std::string& bucket, const std::string& key,
                               const std::string& upload_id, const std::vector<PartInfo>& parts,
                               Done<std::string> done) const;
  void AbortMultipartUpload(const std::string& bucket, const std::string& key,
                            const std::string& upload_id, DoneStatus done) const;
  void ListParts(const std::string& bucket, const std::string& key, const std::string& upload_id,
                 int part_number_marker, Done<PartsPage> done) const;
  void ListMultipartUploads(const std::string& bucket, const std::string& key_marker,
                            const std::string& upload_id_marker, Done<UploadsPage> done) const;

 public:
  struct Call;  // an operation before addressing and signing (client.cc)
  // The transport its requests go through: its thread runs their callbacks.
  http::Transport* transport() const { return transport_; }

 private:
  void Execute(Call call, std::function<void(http::Response, Status)> done) const;
  http::Request Build(Call& call, const Endpoint& endpoint) const;

  http::Transport* transport_;
  ClientOptions options_;
  std::vector<Endpoint> endpoints_;
  std::shared_ptr<gateway::Pool> pool_;
  gateway::Executor executor_;
};

// Blocking forms, for callers that are not on the transport's thread:
//   auto page = Wait<ListPage>([&](auto done) { client.ListObjects(b, o, done); });
template <typename T>
StatusOr<T> Wait(const std::function<void(Done<T>)>& start) {
  std::promise<StatusOr<T>> promise;
  auto future = promise.get_future();
  start([&promise](StatusOr<T> r) { promise.set_value(std::move(r)); });
  return future.get();
}

inline Status WaitStatus(const std::function<void(DoneStatus)>& start) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  start([&promise](Status s) { promise.set_value(std::move(s)); });
  return future.get();
}

}  // namespace gwsync::s3
