// FakeS3's object operations: Head, Get, Put, Copy, Delete and multipart
// uploads, under its lock, on its thread.
#include <algorithm>
#include <charconv>
#include <pugixml.hpp>

#include "s3/uri.h"
#include "support/fake_s3.h"
#include "support/fake_s3_text.h"

namespace gwsync::testing {

using fake_s3::HttpDate;
using fake_s3::IsoDate;
using fake_s3::kXmlHead;
using fake_s3::Now;
using fake_s3::Quoted;
using fake_s3::Unquoted;
using fake_s3::XmlEscape;

namespace {

constexpr int kMaxParts = 10000;

bool ParseUint(std::string_view s, uint64_t* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// "bytes=A-B", "bytes=A-" or "bytes=-N" of an object of `size` bytes, as
// [first, last]; false when unsatisfiable or malformed.
bool ParseRange(std::string_view spec, uint64_t size, uint64_t* first, uint64_t* last) {
  if (!spec.starts_with("bytes=")) return false;
  spec.remove_prefix(6);
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos || size == 0) return false;
  std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  uint64_t x = 0, y = 0;
  if (a.empty()) {  // the last N bytes
    if (!ParseUint(b, &y) || y == 0) return false;
    *first = size - std::min(y, size);
    *last = size - 1;
    return true;
  }
  if (!ParseUint(a, &x) || x >= size) return false;
  if (b.empty()) {
    y = size - 1;
  } else if (!ParseUint(b, &y) || y < x) {
    return false;
  }
  *first = x;
  *last = std::min(y, size - 1);
  return true;
}

bool EtagMatches(std::string_view condition, const std::string& etag) {
  return condition == "*" || Unquoted(condition) == etag;
}

// Content-MD5 as S3 checks it: 400 InvalidDigest when it is no MD5 in
// base64, BadDigest when it is another body's.
std::string DigestError(const std::string& header, const std::string& body) {
  if (header.empty()) return "";
  if (header.size() != 24 || header.substr(22) != "==") return "InvalidDigest";
  return header == hash::Base64(hash::Md5(body)) ? "" : "BadDigest";
}

std::map<std::string, std::string> MetadataOf(const S3Call& call) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : call.headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.starts_with("x-amz-meta-")) out[lower.substr(11)] = value;
  }
  return out;
}

}  // namespace

FakeS3::Reply FakeS3::ObjectRequest(const S3Call& call, Bucket& bucket, const std::string& body) {
  const std::string resource = call.bucket + "/" + call.key;
  const std::string& op = call.op;
  if (op == "HeadObject" || op == "GetObject") {
    auto o = bucket.objects.find(call.key);
    if (o == bucket.objects.end()) {
      return Error(404, "NoSuchKey", "The specified key does not exist.", resource);
    }
    return GetOrHead(call, o->second);
  }
  if (op == "PutObject") return PutObject(call, bucket, body);
  if (op == "CopyObject") return CopyObject(call, bucket);
  if (op == "DeleteObject") {
    bucket.objects.erase(call.key);
    return Reply::Bare(204);
  }
  return Multipart(call, bucket, body);
}

// RGW 16.2 ignores partNumber: the whole object is answered.
FakeS3::Reply FakeS3::GetOrHead(const S3Call& call, const Object& o) {
  const std::string resource = call.bucket + "/" + call.key;
  std::string if_match = call.Header("If-Match"), if_none = call.Header("If-None-Match");
  if (!if_match.empty() && !EtagMatches(if_match, o.etag)) {
    return Error(412, "PreconditionFailed", "At least one of the preconditions failed", resource);
  }
  if (!if_none.empty() && EtagMatches(if_none, o.etag)) return Reply::Bare(304);
  Reply r;
  r.headers = {{"ETag", Quoted(o.etag)},
               {"Last-Modified", HttpDate(o.last_modified)},
               {"Content-Type", o.content_type},
               {"Accept-Ranges", "bytes"}};
  for (const auto& [name, value] : o.metadata) r.headers.emplace_back("x-amz-meta-" + name, value);
  std::string range = call.Header("Range");
  if (call.op == "GetObject" && !range.empty()) {
    uint64_t first = 0, last = 0;
    if (!ParseRange(range, o.data.size(), &first, &last)) {
      return Error(416, "InvalidRange", "The requested range is not satisfiable", resource);
    }
    r.status = 206;
    r.headers.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-" +
                                                std::to_string(last) + "/" +
                                                std::to_string(o.data.size()));
    r.body = o.data.substr(first, last - first + 1);
  } else {
    r.body = o.data;
  }
  r.headers.emplace_back("Content-Length", std::to_string(r.body.size()));
  return r;
}

FakeS3::Reply FakeS3::PutObject(const S3Call& call, Bucket& bucket, const std::string& body) {
  const std::string resource = call.bucket + "/" + call.key;
  if (std::string e = DigestError(call.Header("Content-MD5"), body); !e.empty()) {
    return Error(400, e, "The Content-MD5 you specified did not match what we received.", resource);
  }
  Object& o = bucket.objects[call.key];
  o.data = body;
  o.etag = hash::Hex(hash::Md5(body));
  o.content_type = call.Header("Content-Type");
  if (o.content_type.empty()) o.content_type = "binary/octet-stream";
  o.metadata = MetadataOf(call);
  o.last_modified = Now();
  Reply r;
  r.headers.emplace_back("ETag", Quoted(o.etag));
  return r;
}

const FakeS3::Object* FakeS3::CopySource(const S3Call& call, Reply* error) const {
  std::string source;
  const std::string copy_source = call.Header("x-amz-copy-source");
  std::string_view header = copy_source;
  header = header.substr(0, header.find('?'));  // ?versionId=...
  if (header.starts_with('/')) header.remove_prefix(1);
  if (!s3::UriDecode(header, &source) || source.find('/') == std::string::npos) {
    *error = Error(400, "InvalidArgument", "bad x-amz-copy-source", call.bucket);
    return nullptr;
  }
  std::string src_bucket = source.substr(0, source.find('/'));
  std::string src_key = source.substr(source.find('/') + 1);
  auto b = buckets_.find(src_bucket);
  if (b == buckets_.end()) {
    *error = Error(404, "NoSuchBucket", "The specified bucket does not exist", src_bucket);
    return nullptr;
  }
  auto o = b->second.objects.find(src_key);
  if (o == b->second.objects.end()) {
    *error = Error(404, "NoSuchKey", "The specified key does not exist.", source);
    return nullptr;
  }
  std::string if_match = call.Header("x-amz-copy-source-if-match");
  if (!if_match.empty() && !EtagMatches(if_match, o->second.etag)) {
    *error = Error(412, "PreconditionFailed", "At least one of the preconditions failed", source);
    return nullptr;
  }
  return &o->second;
}

// A copy keeps the source's ETag, multipart "-N" too (RGW does).
FakeS3::Reply FakeS3::CopyObject(const S3Call& call, Bucket& bucket) {
  Reply error;
  const Object* src = CopySource(call, &error);
  if (!src) return error;
  const bool replace = call.Header("x-amz-metadata-directive") == "REPLACE";
  Object copy = *src;
  if (replace) {
    copy.metadata = MetadataOf(call);
    copy.content_type = call.Header("Content-Type");
  } else if (auto self = bucket.objects.find(call.key);
             self != bucket.objects.end() && &self->second == src) {
    return Error(400, "InvalidRequest", "This copy request is illegal: nothing would change",
                 call.bucket + "/" + call.key);
  }
  copy.last_modified = Now();
  bucket.objects[call.key] = copy;
  Reply r;
  r.body = std::string(kXmlHead) + "<CopyObjectResult><LastModified>" +
           IsoDate(copy.last_modified) + "</LastModified><ETag>" + XmlEscape(Quoted(copy.etag)) +
           "</ETag></CopyObjectResult>";
  return r;
}

FakeS3::Reply FakeS3::Multipart(const S3Call& call, Bucket& bucket, const std::string& body) {
  const std::string resource = call.bucket + "/" + call.key;
  if (call.op == "CreateMultipartUpload") {
    std::string id = "upload-" + std::to_string(next_upload_++);
    Upload& u = bucket.uploads[id];
    u.key = call.key;
    u.content_type = call.Header("Content-Type");
    if (u.content_type.empty()) u.content_type = "binary/octet-stream";
    u.metadata = MetadataOf(call);
    Reply r;
    r.body = std::string(kXmlHead) + "<InitiateMultipartUploadResult><Bucket>" +
             XmlEscape(call.bucket) + "</Bucket><Key>" + XmlEscape(call.key) + "</Key><UploadId>" +
             id + "</UploadId></InitiateMultipartUploadResult>";
    return r;
  }
  const std::string id = call.Query("uploadId");
  auto u = bucket.uploads.find(id);
  if (u == bucket.uploads.end() || u->second.key != call.key) {
    return Error(404, "NoSuchUpload", "The specified upload does not exist.", resource);
  }
  if (call.op == "UploadPart" || call.op == "UploadPartCopy")
    return UploadPart(call, u->second, body);
  if (call.op == "CompleteMultipartUpload") return Complete(call, bucket, id, body);
  if (call.op == "AbortMultipartUpload") {
    bucket.uploads.erase(u);
    return Reply::Bare(204);
  }
  if (call.op == "ListParts") return ListParts(call, u->second);
  return Error(405, "MethodNotAllowed", "not an operation the fake knows", resource);
}

FakeS3::Reply FakeS3::UploadPart(const S3Call& call, Upload& upload, const std::string& body) {
  const std::string resource = call.bucket + "/" + call.key;
  uint64_t number = 0;
  if (!ParseUint(call.Query("partNumber"), &number) || number < 1 || number > kMaxParts) {
    return Error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000",
                 resource);
  }
  Part part;
  if (call.op == "UploadPartCopy") {
    Reply error;
    const Object* src = CopySource(call, &error);
    if (!src) return error;
    part.data = src->data;
    std::string range = call.Header("x-amz-copy-source-range");
    if (!range.empty()) {
      uint64_t first = 0, last = 0;
      if (!ParseRange(range, src->data.size(), &first, &last) ||
          (range.back() != '-' && last != std::stoull(range.substr(range.find('-') + 1)))) {
        return Error(400, "InvalidArgument", "The x-amz-copy-source-range is out of bounds",
                     resource);
      }
      part.data = src->data.substr(first, last - first + 1);
    }
  } else {
    if (std::string e = DigestError(call.Header("Content-MD5"), body); !e.empty()) {
      return Error(400, e, "The Content-MD5 you specified did not match what we received.",
                   resource);
    }
    part.data = body;
  }
  part.etag = hash::Hex(hash::Md5(part.data));
  Reply r;
  if (call.op == "UploadPartCopy") {
    r.body = std::string(kXmlHead) + "<CopyPartResult><LastModified>" + IsoDate(Now()) +
             "</LastModified><ETag>" + XmlEscape(Quoted(part.etag)) + "</ETag></CopyPartResult>";
  } else {
    r.headers.emplace_back("ETag", Quoted(part.etag));
  }
  upload.parts[static_cast<int>(number)] = std::move(part);
  return r;
}

FakeS3::Reply FakeS3::Complete(const S3Call& call, Bucket& bucket, const std::string& upload_id,
                               const std::string& body) {
  const std::string resource = call.bucket + "/" + call.key;
  Upload& upload = bucket.uploads[upload_id];
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) {
    return Error(400, "MalformedXML", "The XML you provided was not well-formed", resource);
  }
  std::vector<std::pair<int, std::string>> listed;
  for (pugi::xml_node p : doc.child("CompleteMultipartUpload").children("Part")) {
    listed.emplace_back(p.child("PartNumber").text().as_int(),
                        Unquoted(p.child("ETag").text().get()));
  }
  if (listed.empty()) {
    return Error(400, "MalformedXML", "The XML you provided was not well-formed", resource);
  }
  std::string data;
  std::vector<std::string> md5s;
  for (size_t i = 0; i < listed.size(); ++i) {
    const auto& [number, etag] = listed[i];
    if (i > 0 && number <= listed[i - 1].first) {
      return Error(400, "InvalidPartOrder", "The list of parts was not in ascending order.",
                   resource);
    }
    auto p = upload.parts.find(number);
    if (p == upload.parts.end() || p->second.etag != etag) {
      return Error(400, "InvalidPart", "One or more of the specified parts could not be found.",
                   resource);
    }
    if (i + 1 < listed.size() && p->second.data.size() < min_part_size_) {
      return Error(400, "EntityTooSmall",
                   "Your proposed upload is smaller than the minimum allowed object size.",
                   resource);
    }
    data += p->second.data;
    md5s.push_back(p->second.etag);
  }
  Object& o = bucket.objects[call.key];
  o.data = std::move(data);
  o.etag = fake_s3::MultipartEtag(md5s);
  o.content_type = upload.content_type;
  o.metadata = upload.metadata;
  o.last_modified = Now();
  const std::string etag = empty_complete_etag_ ? "" : Quoted(o.etag);
  bucket.uploads.erase(upload_id);
  Reply r;
  r.body = std::string(kXmlHead) + "<CompleteMultipartUploadResult><Bucket>" +
           XmlEscape(call.bucket) + "</Bucket><Key>" + XmlEscape(call.key) + "</Key><ETag>" +
           XmlEscape(etag) + "</ETag></CompleteMultipartUploadResult>";
  return r;
}

FakeS3::Reply FakeS3::ListParts(const S3Call& call, const Upload& upload) {
  uint64_t marker = 0, max_parts = 1000;
  if (call.Has("part-number-marker")) ParseUint(call.Query("part-number-marker"), &marker);
  if (call.Has("max-parts")) ParseUint(call.Query("max-parts"), &max_parts);
  max_parts = std::clamp<uint64_t>(max_parts, 1, 1000);
  Reply r;
  std::string parts;
  int last = 0;
  uint64_t listed = 0;
  bool truncated = false;
  for (auto it = upload.parts.upper_bound(static_cast<int>(marker)); it != upload.parts.end();
       ++it) {
    if (listed++ == max_parts) {
      truncated = true;
      break;
    }
    parts += "<Part><PartNumber>" + std::to_string(it->first) + "</PartNumber><LastModified>" +
             IsoDate(Now()) + "</LastModified><ETag>" + XmlEscape(Quoted(it->second.etag)) +
             "</ETag><Size>" + std::to_string(it->second.data.size()) + "</Size></Part>";
    last = it->first;
  }
  r.body = std::string(kXmlHead) + "<ListPartsResult><Bucket>" + XmlEscape(call.bucket) +
           "</Bucket><Key>" + XmlEscape(call.key) + "</Key><UploadId>" +
           XmlEscape(call.Query("uploadId")) + "</UploadId><PartNumberMarker>" +
           std::to_string(marker) + "</PartNumberMarker><NextPartNumberMarker>" +
           std::to_string(last) + "</NextPartNumberMarker><MaxParts>" + std::to_string(max_parts) +
           "</MaxParts><IsTruncated>" + (truncated ? "true" : "false") + "</IsTruncated>" + parts +
           "</ListPartsResult>";
  return r;
}

}  // namespace gwsync::testing
