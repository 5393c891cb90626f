#include "s3/headers.h"

#include <charconv>

#include "s3/client.h"
#include "s3/xml.h"

namespace gwsync::s3 {

namespace {

// A size header: absent is 0; anything but digits that fit 64 bits is an
// error, never a size silently taken as 0 or cut short.
StatusOr<uint64_t> ParseSizeHeader(std::string_view name, std::string_view s) {
  uint64_t v = 0;
  if (s.empty()) return v;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return DataLoss("the gateway sent an invalid object size in " + std::string(name) + ": '" +
                    std::string(s.substr(0, 64)) + "'");
  }
  return v;
}

}  // namespace

StatusOr<ObjectHead> HeadFromHeaders(const http::Response& r) {
  ObjectHead head;
  ASSIGN_OR_RETURN(head.size, ParseSizeHeader("Content-Length", r.header("content-length")));
  head.content_length = head.size;
  std::string_view parts = r.header("x-amz-mp-parts-count");
  std::from_chars(parts.data(), parts.data() + parts.size(), head.parts_count);
  if (head.parts_count < 0 || head.parts_count > 10000) head.parts_count = 0;
  // "bytes 0-9/1234": the object's full size follows the slash.
  std::string_view range = r.header("content-range");
  if (size_t slash = range.rfind('/'); slash != std::string_view::npos) {
    ASSIGN_OR_RETURN(head.size, ParseSizeHeader("Content-Range", range.substr(slash + 1)));
  }
  head.etag = xml::UnquoteEtag(r.header("etag"));
  head.last_modified = std::string(r.header("last-modified"));
  head.content_type = std::string(r.header("content-type"));
  head.content.cache_control = std::string(r.header("cache-control"));
  head.content.content_disposition = std::string(r.header("content-disposition"));
  head.content.content_encoding = std::string(r.header("content-encoding"));
  head.content.content_language = std::string(r.header("content-language"));
  head.content.expires = std::string(r.header("expires"));
  std::string_view tags = r.header("x-amz-tagging-count");
  std::from_chars(tags.data(), tags.data() + tags.size(), head.tag_count);
  if (head.tag_count < 0) head.tag_count = 0;
  for (const auto& [name, value] : r.headers) {
    if (name.starts_with("x-amz-meta-")) head.metadata[name.substr(11)] = value;
  }
  return head;
}

BucketHead BucketHeadFromHeaders(const http::Response& r) {
  BucketHead head;
  std::string_view count = r.header("x-rgw-object-count");
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
  if (!count.empty() && ec == std::errc() && end == count.data() + count.size()) {
    head.object_count = n;
  }
  return head;
}

}  // namespace gwsync::s3
