// FakeS3's bucket-level operations: buckets, listings, DeleteObjects, under
// its lock, on its thread.
#include <pugixml.hpp>
#include <span>

#include "support/fake_s3.h"
#include "support/fake_s3_text.h"

namespace gwsync::testing {

using fake_s3::IsoDate;
using fake_s3::kXmlHead;
using fake_s3::kXmlns;
using fake_s3::Now;
using fake_s3::Quoted;
using fake_s3::UrlEncodeListed;
using fake_s3::XmlEscape;

FakeS3::Reply FakeS3::ListBuckets() {
  Reply r;
  r.body = std::string(kXmlHead) + "<ListAllMyBucketsResult" + kXmlns +
           "><Owner><ID>fake</ID></Owner><Buckets>";
  for (const auto& [name, b] : buckets_) {
    r.body += "<Bucket><Name>" + XmlEscape(name) + "</Name><CreationDate>" + IsoDate(Now()) +
              "</CreationDate></Bucket>";
  }
  r.body += "</Buckets></ListAllMyBucketsResult>";
  return r;
}

FakeS3::Reply FakeS3::BucketRequest(const S3Call& call, const std::string& body) {
  auto b = buckets_.find(call.bucket);
  if (call.op == "CreateBucket") {
    if (b != buckets_.end()) {
      return Error(409, "BucketAlreadyOwnedByYou", "you own it already", call.bucket);
    }
    buckets_[call.bucket];
    return Reply{};
  }
  if (b == buckets_.end()) {
    return Error(404, "NoSuchBucket", "The specified bucket does not exist", call.bucket);
  }
  Bucket& bucket = b->second;
  if (call.op == "HeadBucket") {  // with RGW's count, which bounds a listing
    Reply r;
    r.headers.emplace_back("X-RGW-Object-Count", std::to_string(bucket.objects.size()));
    return r;
  }
  if (call.op == "DeleteBucket") {
    if (!bucket.objects.empty() || !bucket.uploads.empty()) {
      return Error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty",
                   call.bucket);
    }
    buckets_.erase(b);
    return Reply::Bare(204);
  }
  if (call.op == "ListObjectsV2" || call.op == "ListObjects") return ListObjects(call, bucket);
  if (call.op == "DeleteObjects") return DeleteObjects(call, bucket, body);
  if (call.op == "ListMultipartUploads") {
    std::map<std::pair<std::string, std::string>, const Upload*> sorted;
    for (const auto& [id, u] : bucket.uploads) sorted[{u.key, id}] = &u;
    // After the markers: the marker key's uploads past the upload-id
    // marker (none without one), then the keys after it.
    const std::string key_marker = call.Query("key-marker"),
                      id_marker = call.Query("upload-id-marker");
    auto it = sorted.begin();
    if (call.Has("key-marker")) {
      it = id_marker.empty() ? sorted.lower_bound({key_marker + '\0', ""})
                             : sorted.upper_bound({key_marker, id_marker});
    }
    std::string uploads;
    size_t n = 0;
    for (; it != sorted.end() && n < uploads_page_size_; ++it, ++n) {
      uploads += "<Upload><Key>" + XmlEscape(it->first.first) + "</Key><UploadId>" +
                 it->first.second + "</UploadId><Initiated>" + IsoDate(Now()) +
                 "</Initiated></Upload>";
    }
    const bool truncated = it != sorted.end();
    Reply r;
    r.body = std::string(kXmlHead) + "<ListMultipartUploadsResult" + kXmlns + "><Bucket>" +
             XmlEscape(call.bucket) + "</Bucket><IsTruncated>" + (truncated ? "true" : "false") +
             "</IsTruncated>";
    if (truncated) {
      auto last = std::prev(it);
      r.body += "<NextKeyMarker>" + XmlEscape(last->first.first) + "</NextKeyMarker>" +
                "<NextUploadIdMarker>" + last->first.second + "</NextUploadIdMarker>";
    }
    r.body += uploads + "</ListMultipartUploadsResult>";
    return r;
  }
  // A setting the fake does not keep: none is set.
  if (call.op == "GetBucketSubresource") {
    return Error(404, "NoSuchConfiguration", "The fake keeps no bucket settings", call.bucket);
  }
  return Error(501, "NotImplemented", "The fake keeps no bucket settings", call.bucket);
}

// ListObjectsV2 and V1 in S3 byte order. A common prefix is listed once: not
// again when it is at or before where the page starts (start-after, marker
// or continuation), as synthetic_s3.py does.
// NOLINTNEXTLINE(readability-function-size): V1 and V2 paging share one walk
FakeS3::Reply FakeS3::ListObjects(const S3Call& call, const Bucket& bucket) {
  const bool v2 = call.op == "ListObjectsV2";
  const std::string prefix = call.Query("prefix"), delimiter = call.Query("delimiter");
  const bool url = call.Query("encoding-type") == "url";
  int max_keys = 1000;
  if (call.Has("max-keys")) {
    try {
      max_keys = std::stoi(call.Query("max-keys"));
    } catch (...) {
      return Error(400, "InvalidArgument", "bad max-keys", call.bucket);
    }
    if (max_keys < 0) return Error(400, "InvalidArgument", "bad max-keys", call.bucket);
    max_keys = std::min(max_keys, 1000);
  }
  std::optional<std::string> after;
  if (v2 && call.Has("continuation-token")) {
    const std::string token = call.Query("continuation-token");
    std::string last;
    if (!token.starts_with("t") || !hash::FromHex(std::string_view(token).substr(1), &last)) {
      return Error(400, "InvalidArgument", "The continuation token provided is incorrect",
                   call.bucket);
    }
    after = last;
  } else if (v2 && !call.Query("start-after").empty()) {
    after = call.Query("start-after");
  } else if (!v2 && !call.Query("marker").empty()) {
    after = call.Query("marker");
  }
  auto shown = [&](const std::string& name) { return url ? UrlEncodeListed(name) : name; };

  std::vector<const std::pair<const std::string, Object>*> keys;
  std::vector<std::string> prefixes;
  std::string last;
  bool truncated = false;
  auto it = after && *after >= prefix ? bucket.objects.upper_bound(*after)
                                      : bucket.objects.lower_bound(prefix);
  while (it != bucket.objects.end() && it->first.starts_with(prefix)) {
    const std::string& k = it->first;
    size_t d = delimiter.empty() ? std::string::npos : k.find(delimiter, prefix.size());
    std::string common = d == std::string::npos ? "" : k.substr(0, d + delimiter.size());
    if (!common.empty() && after && common <= *after) {
      while (it != bucket.objects.end() && it->first.starts_with(common)) ++it;
      continue;
    }
    if (static_cast<int>(keys.size() + prefixes.size()) >= max_keys) {
      truncated = max_keys > 0;
      break;
    }
    if (!common.empty()) {
      prefixes.push_back(common);
      last = common;
      while (it != bucket.objects.end() && it->first.starts_with(common)) ++it;
      continue;
    }
    keys.push_back(&*it);
    last = k;
    ++it;
  }

  Reply r;
  std::string& x = r.body;
  x = std::string(kXmlHead) + "<ListBucketResult" + kXmlns + "><Name>" + XmlEscape(call.bucket) +
      "</Name><Prefix>" + XmlEscape(shown(prefix)) + "</Prefix>";
  if (!delimiter.empty()) x += "<Delimiter>" + XmlEscape(shown(delimiter)) + "</Delimiter>";
  x += "<MaxKeys>" + std::to_string(max_keys) + "</MaxKeys>";
  if (url) x += "<EncodingType>url</EncodingType>";
  if (v2) x += "<KeyCount>" + std::to_string(keys.size() + prefixes.size()) + "</KeyCount>";
  x += std::string("<IsTruncated>") + (truncated ? "true" : "false") + "</IsTruncated>";
  if (truncated && v2)
    x += "<NextContinuationToken>t" +
         hash::Hex(std::span(reinterpret_cast<const uint8_t*>(last.data()), last.size())) +
         "</NextContinuationToken>";
  if (truncated && !v2 && !delimiter.empty()) {
    x += "<NextMarker>" + XmlEscape(shown(last)) + "</NextMarker>";
  }
  for (const auto* kv : keys) {
    const Object& o = kv->second;
    x += "<Contents><Key>" + XmlEscape(shown(kv->first)) + "</Key><LastModified>" +
         IsoDate(o.last_modified) + "</LastModified><ETag>" + XmlEscape(Quoted(o.etag)) +
         "</ETag><Size>" + std::to_string(o.data.size()) +
         "</Size><StorageClass>STANDARD</StorageClass></Contents>";
  }
  for (const auto& p : prefixes) {
    x += "<CommonPrefixes><Prefix>" + XmlEscape(shown(p)) + "</Prefix></CommonPrefixes>";
  }
  x += "</ListBucketResult>";
  return r;
}

FakeS3::Reply FakeS3::DeleteObjects(const S3Call& call, Bucket& bucket, const std::string& body) {
  std::string md5 = call.Header("Content-MD5");
  if (!md5.empty() && md5 != hash::Base64(hash::Md5(body))) {
    return Error(400, "BadDigest", "The Content-MD5 you specified did not match", call.bucket);
  }
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) {
    return Error(400, "MalformedXML", "not XML", call.bucket);
  }
  pugi::xml_node root = doc.child("Delete");
  bool quiet = std::string(root.child("Quiet").text().as_string()) == "true";
  std::vector<std::string> keys;
  for (pugi::xml_node o : root.children("Object")) keys.push_back(o.child("Key").text().get());
  if (keys.empty() || keys.size() > 1000) {
    return Error(400, "MalformedXML", "0 or more than 1000 keys", call.bucket);
  }
  Reply r;
  r.body = std::string(kXmlHead) + "<DeleteResult" + kXmlns + ">";
  for (const auto& k : keys) {
    bucket.objects.erase(k);
    if (!quiet) r.body += "<Deleted><Key>" + XmlEscape(k) + "</Key></Deleted>";
  }
  r.body += "</DeleteResult>";
  return r;
}

}  // namespace gwsync::testing
