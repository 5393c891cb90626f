#include "s3/headers.h"

#include <charconv>
#include <climits>
#include <optional>

#include "http/range.h"
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

// A count header: absent is 0; anything but digits up to `max` is an error,
// never a count silently taken as 0 (x-amz-tagging-count at 0 would leave
// the object's tags behind).
StatusOr<int> ParseCountHeader(std::string_view name, std::string_view s, int max) {
  int v = 0;
  if (s.empty()) return v;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0 || v > max) {
    return DataLoss("the gateway sent an invalid " + std::string(name) + ": '" +
                    std::string(s.substr(0, 64)) + "'");
  }
  return v;
}

}  // namespace

StatusOr<ObjectHead> HeadFromHeaders(const http::Response& r) {
  ObjectHead head;
  ASSIGN_OR_RETURN(head.size, ParseSizeHeader("Content-Length", r.header("content-length")));
  head.content_length = head.size;
  ASSIGN_OR_RETURN(head.parts_count,
                   ParseCountHeader("x-amz-mp-parts-count", r.header("x-amz-mp-parts-count"),
                                    /*max=*/10000));
  // "bytes 0-9/1234": the object's full size follows the slash.
  if (std::string_view range = r.header("content-range"); !range.empty()) {
    std::optional<http::ContentRange> parsed = http::ParseContentRange(range);
    if (!parsed || !parsed->size) {
      return DataLoss("the gateway sent an invalid Content-Range: '" +
                      std::string(range.substr(0, 64)) + "'");
    }
    head.size = *parsed->size;
  }
  head.etag = xml::UnquoteEtag(r.header("etag"));
  head.last_modified = std::string(r.header("last-modified"));
  head.content_type = std::string(r.header("content-type"));
  head.content.cache_control = std::string(r.header("cache-control"));
  head.content.content_disposition = std::string(r.header("content-disposition"));
  head.content.content_encoding = std::string(r.header("content-encoding"));
  head.content.content_language = std::string(r.header("content-language"));
  head.content.expires = std::string(r.header("expires"));
  ASSIGN_OR_RETURN(head.tag_count, ParseCountHeader("x-amz-tagging-count",
                                                    r.header("x-amz-tagging-count"), INT_MAX));
  for (const auto& [name, value] : r.headers) {
    if (name.starts_with("x-amz-meta-")) head.metadata[name.substr(11)] = value;
  }
  return head;
}

BucketHead BucketHeadFromHeaders(const http::Response& r) {
  auto number = [&r](const char* name) -> std::optional<uint64_t> {
    std::string_view v = r.header(name);
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
    return n;
  };
  BucketHead head;
  head.object_count = number("x-rgw-object-count");
  head.bytes_used = number("x-rgw-bytes-used");
  return head;
}

}  // namespace gwsync::s3
