// Byte ranges as HTTP carries them: a request's "Range: bytes=FIRST-[LAST]"
// and the answer's "Content-Range: bytes FIRST-LAST/SIZE". Nothing a gateway
// sends is trusted: a range that is not one is refused, never read in part.
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gwsync::http {

// The bytes a Range header asks for: FIRST to LAST (inclusive), or to the end.
struct RangeAsked {
  uint64_t first = 0;
  std::optional<uint64_t> last;
};

// "bytes=FIRST-LAST", or "bytes=FIRST-" without a last byte.
std::string FormatRange(const RangeAsked& range);
// What FormatRange writes; nullopt for anything else (a suffix "bytes=-N",
// several ranges, LAST before FIRST).
std::optional<RangeAsked> ParseRange(std::string_view value);

// The bytes an answer carries, of an object of `size` bytes (nullopt: the
// gateway says "*", it does not know).
struct ContentRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  std::optional<uint64_t> size;
};

// "bytes FIRST-LAST/SIZE" or "bytes FIRST-LAST/*", the numbers decimal and
// within 64 bits; nullopt unless FIRST <= LAST < SIZE and the length
// LAST - FIRST + 1 fits 64 bits. A 416's "bytes */SIZE" names no bytes:
// nullopt too.
std::optional<ContentRange> ParseContentRange(std::string_view value);

}  // namespace gwsync::http
