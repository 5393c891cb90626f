// The response headers a gateway sends, read into values: an object's HEAD
// or GET (s3/headers.h), a bucket's count, and the byte ranges of
// http/range.h. The input is header lines, "name: value". Beside not
// crashing, what is read must be what the headers promise: a Content-Range
// read has FIRST <= LAST < SIZE and a length that fits 64 bits; a number the
// gateway sent never becomes 0 unless it was 0, nor another number; what
// FormatRange writes parses back to itself, and so does a quoted ETag.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>

#include "fuzz_check.h"
#include "http/range.h"
#include "s3/client.h"
#include "s3/headers.h"
#include "s3/xml.h"

namespace http = gwsync::http;
namespace s3 = gwsync::s3;

namespace {

// `s` as a number the way a reader must take it: decimal digits, all of it.
template <typename T>
std::optional<T> Decimal(std::string_view s) {
  T v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

bool IsZero(std::string_view s) {
  return !s.empty() && s.find_first_not_of('0') == std::string_view::npos;
}

void CheckContentRange(std::string_view value) {
  std::optional<http::ContentRange> range = http::ParseContentRange(value);
  if (!range) return;
  FUZZ_CHECK(range->first <= range->last);
  FUZZ_CHECK(range->last - range->first + 1 != 0);  // the length fits 64 bits
  FUZZ_CHECK(!range->size || range->last < *range->size);
  std::string again = "bytes " + std::to_string(range->first) + "-" + std::to_string(range->last) +
                      "/" + (range->size ? std::to_string(*range->size) : "*");
  std::optional<http::ContentRange> back = http::ParseContentRange(again);
  FUZZ_CHECK(back && back->first == range->first && back->last == range->last &&
             back->size == range->size);
}

void CheckRange(std::string_view value) {
  std::optional<http::RangeAsked> range = http::ParseRange(value);
  if (!range) return;
  FUZZ_CHECK(!range->last || range->first <= *range->last);
  std::optional<http::RangeAsked> back = http::ParseRange(http::FormatRange(*range));
  FUZZ_CHECK(back && back->first == range->first && back->last == range->last);
}

void CheckHead(const gwsync::http::Response& r) {
  auto head = s3::HeadFromHeaders(r);
  if (!head.ok()) {
    FUZZ_CHECK(head.status().code() == gwsync::StatusCode::kDataLoss);
    return;
  }
  std::string_view length = r.header("content-length");
  std::optional<uint64_t> want_length = length.empty() ? 0 : Decimal<uint64_t>(length);
  FUZZ_CHECK(want_length && head->content_length == *want_length);
  std::string_view content_range = r.header("content-range");
  if (!content_range.empty()) {
    std::optional<http::ContentRange> range = http::ParseContentRange(content_range);
    FUZZ_CHECK(range && range->size && head->size == *range->size);
  } else {
    FUZZ_CHECK(head->size == head->content_length);
  }
  std::string_view tags = r.header("x-amz-tagging-count");
  if (!tags.empty()) {
    std::optional<int> want = Decimal<int>(tags);
    FUZZ_CHECK(want && *want >= 0 && head->tag_count == *want);
  }
  std::string_view parts = r.header("x-amz-mp-parts-count");
  if (!parts.empty()) {
    std::optional<int> want = Decimal<int>(parts);
    FUZZ_CHECK(want && *want >= 0 && *want <= 10000 && head->parts_count == *want);
  }
  FUZZ_CHECK(head->etag == s3::xml::UnquoteEtag(r.header("etag")));
  FUZZ_CHECK(s3::xml::UnquoteEtag("\"" + head->etag + "\"") == head->etag);
  for (const auto& [name, value] : r.headers) {
    if (name.starts_with("x-amz-meta-")) FUZZ_CHECK(head->metadata.contains(name.substr(11)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gwsync::fuzz::Fields fields(data, size);
  gwsync::http::Response response;
  response.status = 200;
  while (!fields.empty()) {
    std::string_view line = fields.Next();
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (value.starts_with(' ')) value.remove_prefix(1);
    CheckContentRange(value);
    CheckRange(value);
    response.headers.emplace_back(std::move(name), std::string(value));
  }
  CheckHead(response);

  s3::BucketHead bucket = s3::BucketHeadFromHeaders(response);
  std::string_view count = response.header("x-rgw-object-count");
  FUZZ_CHECK(bucket.object_count == Decimal<uint64_t>(count));
  FUZZ_CHECK(!bucket.object_count || *bucket.object_count != 0 || IsZero(count));

  // The first 16 bytes, when there are that many, as a range to write and read.
  if (size >= 16) {
    http::RangeAsked range;
    uint64_t last;
    std::memcpy(&range.first, data, 8);
    std::memcpy(&last, data + 8, 8);
    if (last != UINT64_MAX) range.last = last;
    std::optional<http::RangeAsked> back = http::ParseRange(http::FormatRange(range));
    if (range.last && *range.last < range.first) {
      FUZZ_CHECK(!back);
    } else {
      FUZZ_CHECK(back && back->first == range.first && back->last == range.last);
    }
  }
  return 0;
}
