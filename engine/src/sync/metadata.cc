#include "sync/metadata.h"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <string_view>

namespace gwsync::sync {
namespace {

template <typename T>
std::optional<T> ParseInt(std::string_view s, int base = 10) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "1700000000.123456789", "1700000000", "1700000000.5", or before 1970
// "-1.5" (rclone writes the sign, then the magnitude). Nothing for a time
// int64 nanoseconds cannot hold (past the year 2262): from anyone's tool.
std::optional<int64_t> ParseSeconds(std::string_view s) {
  size_t dot = s.find('.');
  auto sec = ParseInt<int64_t>(s.substr(0, dot));
  if (!sec) return std::nullopt;
  int64_t ns = 0;
  if (dot != std::string_view::npos) {
    std::string frac(s.substr(dot + 1, 9));
    if (frac.empty() || frac.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    frac.resize(9, '0');
    ns = *ParseInt<int64_t>(frac);
  }
  int64_t out;
  if (__builtin_mul_overflow(*sec, int64_t{1000000000}, &out)) return std::nullopt;
  if (s.starts_with('-') ? __builtin_sub_overflow(out, ns, &out)
                         : __builtin_add_overflow(out, ns, &out)) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> EncodeAttrs(int64_t mtime_ns, uint32_t mode, uint32_t uid,
                                               uint32_t gid) {
  // Sign and magnitude, as ParseSeconds (and rclone) read it: -1.5 s is
  // "-1.500000000". Unsigned, so that INT64_MIN has a magnitude too.
  uint64_t magnitude = mtime_ns < 0 ? 0 - static_cast<uint64_t>(mtime_ns) : mtime_ns;
  char mtime[48];
  std::snprintf(mtime, sizeof(mtime), "%s%llu.%09llu", mtime_ns < 0 ? "-" : "",
                static_cast<unsigned long long>(magnitude / 1000000000),
                static_cast<unsigned long long>(magnitude % 1000000000));
  char octal[16];
  std::snprintf(octal, sizeof(octal), "%o", mode & 07777);
  return {{"mtime", mtime},
          {"mode", octal},
          {"uid", std::to_string(uid)},
          {"gid", std::to_string(gid)}};
}

FileAttrs DecodeAttrs(const std::map<std::string, std::string>& metadata) {
  FileAttrs a;
  auto get = [&](const char* name) -> const std::string* {
    auto it = metadata.find(name);
    return it == metadata.end() ? nullptr : &it->second;
  };
  if (auto* v = get("mtime")) a.mtime_ns = ParseSeconds(*v);
  if (auto* v = get("mode")) {
    if (auto m = ParseInt<uint32_t>(*v, 8)) a.mode = *m & 07777;
  }
  if (auto* v = get("uid")) a.uid = ParseInt<uint32_t>(*v);
  if (auto* v = get("gid")) a.gid = ParseInt<uint32_t>(*v);
  // s3cmd: "atime:1700000000/ctime:.../gid:0/gname:root/md5:.../mode:33188/mtime:1700000000/..."
  if (auto* attrs = get("s3cmd-attrs")) {
    std::string_view rest = *attrs;
    while (!rest.empty()) {
      size_t slash = rest.find('/');
      std::string_view item = rest.substr(0, slash);
      rest = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
      size_t colon = item.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view k = item.substr(0, colon), v = item.substr(colon + 1);
      if (k == "mtime" && !a.mtime_ns) a.mtime_ns = ParseSeconds(v);
      if (k == "mode" && !a.mode) {
        if (auto m = ParseInt<uint32_t>(v)) a.mode = *m & 07777;
      }
      if (k == "uid" && !a.uid) a.uid = ParseInt<uint32_t>(v);
      if (k == "gid" && !a.gid) a.gid = ParseInt<uint32_t>(v);
    }
  }
  return a;
}

std::optional<int64_t> ParseHttpDate(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (!end) return std::nullopt;
  int64_t ns;
  if (__builtin_mul_overflow(static_cast<int64_t>(timegm(&tm)), int64_t{1000000000}, &ns)) {
    return std::nullopt;  // a year past 2262
  }
  return ns;
}

}  // namespace gwsync::sync
