#include "http/range.h"

#include <charconv>

namespace gwsync::http {

namespace {

// Decimal digits, all of `s`, within 64 bits.
std::optional<uint64_t> Number(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

std::string FormatRange(const RangeAsked& range) {
  return "bytes=" + std::to_string(range.first) + "-" +
         (range.last ? std::to_string(*range.last) : std::string());
}

std::optional<RangeAsked> ParseRange(std::string_view value) {
  if (!value.starts_with("bytes=")) return std::nullopt;
  value.remove_prefix(6);
  size_t dash = value.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  RangeAsked range;
  std::optional<uint64_t> first = Number(value.substr(0, dash));
  if (!first) return std::nullopt;
  range.first = *first;
  if (dash + 1 < value.size()) {
    range.last = Number(value.substr(dash + 1));
    if (!range.last || *range.last < range.first) return std::nullopt;
  }
  return range;
}

std::optional<ContentRange> ParseContentRange(std::string_view value) {
  if (!value.starts_with("bytes ")) return std::nullopt;
  value.remove_prefix(6);
  size_t dash = value.find('-'), slash = value.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) {
    return std::nullopt;
  }
  std::optional<uint64_t> first = Number(value.substr(0, dash));
  std::optional<uint64_t> last = Number(value.substr(dash + 1, slash - dash - 1));
  // Bytes 0 to 2^64-1 would be 2^64 of them: a length that is 0 in 64 bits.
  if (!first || !last || *last < *first || *last - *first == UINT64_MAX) return std::nullopt;
  ContentRange range{*first, *last, std::nullopt};
  std::string_view size = value.substr(slash + 1);
  if (size != "*") {
    range.size = Number(size);
    if (!range.size || *range.size <= range.last) return std::nullopt;
  }
  return range;
}

}  // namespace gwsync::http
