// FakeS3 is an S3 gateway held in memory behind the http::Transport seam, so
// unit tests run the real s3::Client, the transfer machines and the sync
// against it without a network or Ceph. It answers the requests the client
// builds (path-style URLs; signatures are not checked): buckets (Head,
// Create, Delete, List), ListObjectsV2 and V1, Head/Get (Range, If-Match)/
// Put (Content-MD5 checked, ETag = MD5)/Copy/Delete of objects,
// DeleteObjects, and multipart uploads (create, parts, part copies,
// complete with the real multipart ETag, abort, ListParts). Bucket
// subresources it does not keep (lifecycle, policy, ...) are 404. It
// behaves as RGW 16.2 does where the sync relies on it: `partNumber` on
// GET/HEAD is ignored, a copy keeps a multipart ETag, and with
// set_empty_complete_etag the completion answers <ETag></ETag>. Not there:
// versions, ACLs and bucket settings, virtual-host addressing, SSE,
// max-uploads (ListMultipartUploads pages by set_uploads_page_size); objects are held whole in
// memory, and a common prefix at or before start-after is not listed again (as synthetic_s3.py;
// what RGW does there is not known).
//
// Threads: Send and Post may be called from any thread. Requests are
// answered, and every completion and posted function runs, on the fake's
// own thread, one at a time, as the curl loop does. Setup, inspection and
// fault methods are safe from any thread. Stop (or the destructor) ends the
// thread; requests and posted work still queued then complete with
// kCancelled on the stopping thread (as a transport's shutdown), so call it
// before the clients it calls back into go.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/request.h"
#include "s3/client.h"

namespace gwsync::testing {

// One request as the fake understood it.
struct S3Call {
  std::string op;  // "PutObject", "ListObjectsV2", "UploadPart", ...
  std::string method;
  std::string bucket;                        // "" for the service (ListBuckets)
  std::string key;                           // "" for a bucket's own requests
  std::map<std::string, std::string> query;  // names and values decoded
  http::Headers headers;

  bool Has(const std::string& name) const { return query.count(name) > 0; }
  std::string Query(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? "" : it->second;
  }
  std::string Header(std::string_view name) const {
    return std::string(http::FindHeader(headers, name));
  }
};

class FakeS3 final : public http::Transport {
 public:
  using Match = std::function<bool(const S3Call&)>;

  struct Object {
    std::string data;
    std::string etag;  // without quotes
    std::string content_type;
    std::map<std::string, std::string> metadata;  // x-amz-meta-NAME, NAME lower-cased
    int64_t last_modified = 0;                    // seconds since the epoch
  };

  // The gateway's answer in its place, to the requests a Fault's match
  // accepts: an S3 error, or (transport non-OK) no HTTP answer at all.
  struct Fault {
    int status = 503;
    std::string code = "SlowDown";
    Status transport;
    int times = 1;  // how many requests it answers; -1: every one
  };

  FakeS3();
  ~FakeS3() override;
  void Stop();

  // Options for an s3::Client of this fake: any endpoint and keys do, and
  // retries wait milliseconds, not seconds.
  static s3::ClientOptions ClientOptions(const std::string& endpoint = "http://fake-s3:8000",
                                         const std::string& access_key = "fake-key");

  void Send(http::Request request, http::Callback done) override;
  void Post(std::chrono::milliseconds delay, http::TimerCallback fn) override;

  // Setup, as a client would leave things.
  void CreateBucket(const std::string& bucket);
  void PutObject(const std::string& bucket, const std::string& key, std::string data,
                 std::map<std::string, std::string> metadata = {});
  // A multipart object of these parts, as another tool's upload leaves it.
  void PutMultipartObject(const std::string& bucket, const std::string& key,
                          const std::vector<std::string>& parts,
                          std::map<std::string, std::string> metadata = {});
  void DeleteObject(const std::string& bucket, const std::string& key);

  // Inspection.
  bool HasBucket(const std::string& bucket) const;
  std::optional<Object> GetObject(const std::string& bucket, const std::string& key) const;
  // key -> bytes of every object under `prefix` (keys with the prefix cut).
  std::map<std::string, std::string> Contents(const std::string& bucket,
                                              const std::string& prefix = "") const;
  size_t UploadsInProgress(const std::string& bucket) const;
  // Requests answered (faults included) by S3 operation ("GetObject") or by
  // HTTP method ("GET").
  int CountOp(const std::string& op) const;
  int CountMethod(const std::string& method) const;
  // "OP bucket/key" of each request, in order.
  std::vector<std::string> Log() const;
  void ResetCounts();

  // Faults. Tried in the order added, before the request is served.
  void Fail(Match match, Fault fault);
  // GET bodies of the objects `match` accepts are served with one byte
  // flipped (headers and ETag intact): a proxy that damages data.
  void CorruptGets(Match match, int times = -1);
  // A 200 with the body `page` gives, in place of the fake's own answer, to
  // the requests `match` accepts: pages of an operation the fake does not
  // keep (ListObjectVersions), as a gateway would send them, good or bad.
  void Script(Match match, std::function<std::string(const S3Call&)> page);
  // Runs on the fake's thread before each request is served (a test that
  // changes a file or an object while a sync is under way).
  void OnRequest(std::function<void(const S3Call&)> fn);
  // Each answer comes this long after its request (requests then overlap).
  void set_latency(std::chrono::milliseconds latency);
  // S3's smallest part but the last (EntityTooSmall below it).
  void set_min_part_size(uint64_t bytes);
  // RGW 16.2 answers CompleteMultipartUpload with <ETag></ETag>.
  void set_empty_complete_etag(bool empty);
  // Uploads per page of ListMultipartUploads (S3's 1,000 unless set), in
  // key then upload-id order, paged by key-marker and upload-id-marker.
  void set_uploads_page_size(size_t n);

  // Matches for Fail and CorruptGets.
  static Match Op(std::string op);
  static Match OpKey(std::string op, std::string key);

 private:
  struct Part {
    std::string data;
    std::string etag;
  };
  struct Upload {
    std::string key;
    std::string content_type;
    std::map<std::string, std::string> metadata;
    std::map<int, Part> parts;
  };
  struct Bucket {
    std::map<std::string, Object> objects;  // S3 byte order
    std::map<std::string, Upload> uploads;  // by upload id
  };
  struct Task {
    std::chrono::steady_clock::time_point when;
    uint64_t seq;
    http::TimerCallback fn;  // Ok when due; kCancelled at Stop
  };
  struct Reply {
    int status = 200;
    http::Headers headers;
    std::string body;
    Status transport;  // non-OK: no HTTP answer at all
    static Reply Bare(int status) {
      Reply r;
      r.status = status;
      return r;
    }
  };
  struct Rule {
    Match match;
    Fault fault;
  };
  struct Corruption {
    Match match;
    int times;
  };

  void Loop();
  void Queue(std::chrono::milliseconds delay, http::TimerCallback fn);
  // On the fake's thread: the whole exchange.
  http::Response Exchange(http::Request& request);
  static StatusOr<S3Call> Parse(const http::Request& request);
  // Under mu_: the answer to one request with its body.
  Reply Serve(const S3Call& call, const std::string& body);

  Reply ListBuckets();
  Reply BucketRequest(const S3Call& call, const std::string& body);
  Reply ListObjects(const S3Call& call, const Bucket& bucket);
  Reply DeleteObjects(const S3Call& call, Bucket& bucket, const std::string& body);
  Reply ObjectRequest(const S3Call& call, Bucket& bucket, const std::string& body);
  Reply GetOrHead(const S3Call& call, const Object& object);
  Reply PutObject(const S3Call& call, Bucket& bucket, const std::string& body);
  Reply CopyObject(const S3Call& call, Bucket& bucket);
  Reply Multipart(const S3Call& call, Bucket& bucket, const std::string& body);
  Reply UploadPart(const S3Call& call, Upload& upload, const std::string& body);
  Reply Complete(const S3Call& call, Bucket& bucket, const std::string& upload_id,
                 const std::string& body);
  Reply ListParts(const S3Call& call, const Upload& upload);
  // The source of a copy (x-amz-copy-source), its If-Match checked; null
  // with `error` set when there is none.
  const Object* CopySource(const S3Call& call, Reply* error) const;
  Reply Error(int status, const std::string& code, const std::string& message,
              const std::string& resource) const;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  uint64_t seq_ = 0;
  bool stopped_ = false;
  std::map<std::string, Bucket> buckets_;
  std::vector<Rule> faults_;
  std::vector<std::pair<Match, std::function<std::string(const S3Call&)>>> scripts_;
  std::vector<Corruption> corruptions_;
  std::function<void(const S3Call&)> on_request_;
  std::chrono::milliseconds latency_{0};
  uint64_t min_part_size_ = 5ull << 20;
  bool empty_complete_etag_ = false;
  size_t uploads_page_size_ = 1000;
  uint64_t next_upload_ = 1;
  uint64_t next_request_ = 1;
  std::map<std::string, int> op_counts_, method_counts_;
  std::vector<std::string> log_;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace gwsync::testing
