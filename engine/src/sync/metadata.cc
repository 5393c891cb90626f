#include "sync/metadata.h"

#include <sys/stat.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string_view>

#include "s3/uri.h"
#include "transfer/machine.h"

namespace gwsync::sync {
namespace {

template <typename T>
std::optional<T> ParseInt(std::string_view s, int base = 10) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Times a file may plausibly carry: 1900 to 2200. Beyond them a value is
// taken for garbage (and nanoseconds since 1970 would overflow in 2262).
constexpr int64_t kMinSeconds = -2208988800;  // 1900-01-01
constexpr int64_t kMaxSeconds = 7258118400;   // 2200-01-01

std::optional<int64_t> SecondsToNs(int64_t sec, int64_t ns) {
  if (sec < kMinSeconds || sec >= kMaxSeconds) return std::nullopt;
  int64_t v = sec * 1000000000 + ns;  // cannot overflow: sec is in range, |ns| < 1e9
  // "-2208988800.5" is half a second before 1900: out of range too.
  if (v < kMinSeconds * 1000000000 || v >= kMaxSeconds * 1000000000) return std::nullopt;
  return v;
}

// A mode is permission bits (at most 07777), or for s3cmd a whole st_mode
// of a regular file (0100644).
std::optional<uint32_t> CheckMode(std::optional<uint32_t> m, bool with_type) {
  if (!m) return std::nullopt;
  uint32_t type = *m & ~07777u;
  if (type != 0 && !(with_type && type == S_IFREG)) return std::nullopt;
  return *m & 07777;
}

// A uid or gid: -1 (4294967295) means "leave unchanged" to chown.
std::optional<uint32_t> CheckId(std::optional<uint32_t> id) {
  if (!id || *id == UINT32_MAX) return std::nullopt;
  return id;
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
    if (s.starts_with("-")) ns = -ns;  // "-1.5": a second and a half before 1970
  }
  return SecondsToNs(*sec, ns);
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
  // s3cmd's own header too, so `s3cmd sync --preserve` restores a gwsync
  // backup with its times and modes: whole seconds (int(st_mtime), as s3cmd
  // writes them; atime is not kept, so the mtime stands in), the st_mode of
  // a regular file, keys in s3cmd's sorted order.
  std::string sec = std::to_string(mtime_ns / 1000000000);
  std::string s3cmd = "atime:" + sec + "/gid:" + std::to_string(gid) +
                      "/mode:" + std::to_string(0100000u | (mode & 07777)) + "/mtime:" + sec +
                      "/uid:" + std::to_string(uid);
  return {{"mtime", mtime},
          {"mode", octal},
          {"uid", std::to_string(uid)},
          {"gid", std::to_string(gid)},
          {"s3cmd-attrs", s3cmd}};
}

FileAttrs DecodeAttrs(const std::map<std::string, std::string>& metadata) {
  FileAttrs a;
  auto get = [&](const char* name) -> const std::string* {
    auto it = metadata.find(name);
    return it == metadata.end() ? nullptr : &it->second;
  };
  if (auto* v = get("mtime")) a.mtime_ns = ParseSeconds(*v);
  if (auto* v = get("mode")) a.mode = CheckMode(ParseInt<uint32_t>(*v, 8), false);
  if (auto* v = get("uid")) a.uid = CheckId(ParseInt<uint32_t>(*v));
  if (auto* v = get("gid")) a.gid = CheckId(ParseInt<uint32_t>(*v));
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
      if (k == "mode" && !a.mode) a.mode = CheckMode(ParseInt<uint32_t>(v), true);
      if (k == "uid" && !a.uid) a.uid = CheckId(ParseInt<uint32_t>(v));
      if (k == "gid" && !a.gid) a.gid = CheckId(ParseInt<uint32_t>(v));
    }
  }
  return a;
}

std::optional<int64_t> ParseHttpDate(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (!end) return std::nullopt;
  return SecondsToNs(static_cast<int64_t>(timegm(&tm)), 0);
}

namespace {

using json = nlohmann::json;

constexpr std::string_view kDefaultType = "binary/octet-stream";

// Each content header by its name in the JSON and its place in the struct.
constexpr std::pair<const char*, std::string s3::ContentHeaders::*> kContentFields[] = {
    {"cache-control", &s3::ContentHeaders::cache_control},
    {"content-disposition", &s3::ContentHeaders::content_disposition},
    {"content-encoding", &s3::ContentHeaders::content_encoding},
    {"content-language", &s3::ContentHeaders::content_language},
    {"expires", &s3::ContentHeaders::expires},
};

json KeptJson(const KeptHeaders& kept) {
  json j = json::object();
  if (!kept.content_type.empty()) j["content-type"] = kept.content_type;
  for (const auto& [name, field] : kContentFields) {
    if (!(kept.content.*field).empty()) j[name] = kept.content.*field;
  }
  if (!kept.metadata.empty()) j["metadata"] = kept.metadata;
  if (!kept.tags.empty()) {
    json tags = json::object();
    for (const auto& [k, v] : kept.tags) tags[k] = v;
    j["tags"] = std::move(tags);
  }
  return j;
}

std::optional<KeptHeaders> KeptOf(const json& j) {
  if (!j.is_object()) return std::nullopt;
  KeptHeaders kept;
  auto text = [&j](const char* name, std::string* out) {
    auto it = j.find(name);
    if (it == j.end()) return true;
    if (!it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  if (!text("content-type", &kept.content_type)) return std::nullopt;
  for (const auto& [name, field] : kContentFields) {
    if (!text(name, &(kept.content.*field))) return std::nullopt;
  }
  for (const char* map : {"metadata", "tags"}) {
    auto it = j.find(map);
    if (it == j.end()) continue;
    if (!it->is_object()) return std::nullopt;
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return std::nullopt;
      if (std::string_view(map) == "metadata") {
        kept.metadata[k] = v.get<std::string>();
      } else {
        kept.tags.emplace_back(k, v.get<std::string>());
      }
    }
  }
  return kept;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

bool KeptHeaders::empty() const {
  return content_type.empty() && content == s3::ContentHeaders() && metadata.empty() &&
         tags.empty();
}

KeptHeaders KeepFrom(const s3::ObjectHead& head,
                     std::vector<std::pair<std::string, std::string>> tags) {
  KeptHeaders kept;
  if (head.content_type != kDefaultType) kept.content_type = head.content_type;
  kept.content = head.content;
  kept.metadata = head.metadata;
  kept.metadata.erase(transfer::internal::kPartSizeMeta);
  kept.metadata.erase(transfer::internal::kPartDoublingMeta);
  kept.tags = std::move(tags);
  return kept;
}

std::string EncodeKept(const KeptHeaders& kept) { return Dump(KeptJson(kept)); }

std::optional<KeptHeaders> DecodeKept(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return KeptOf(j);
}

std::string EncodeKeptAttr(const KeptHeaders& kept, uint64_t size, int64_t mtime_ns,
                           std::string_view etag, std::string_view xxh3) {
  json j = {{"headers", KeptJson(kept)}, {"size", size}, {"mtime_ns", mtime_ns}};
  if (!etag.empty()) j["etag"] = etag;
  if (!xxh3.empty()) j["xxh3"] = xxh3;
  return Dump(j);
}

KeptDigests KeptAttrDigests(std::string_view text, uint64_t size, int64_t mtime_ns) {
  if (!DecodeKeptAttr(text, size, mtime_ns)) return {};
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto str = [&](const char* name) {
    return j.contains(name) && j[name].is_string() ? j[name].get<std::string>() : "";
  };
  return {str("etag"), str("xxh3")};
}

std::optional<KeptHeaders> DecodeKeptAttr(std::string_view text, uint64_t size, int64_t mtime_ns) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("headers") || !j.contains("size") || !j.contains("mtime_ns") ||
      !j["size"].is_number_unsigned() || !j["mtime_ns"].is_number_integer()) {
    return std::nullopt;
  }
  if (j["size"].get<uint64_t>() != size || j["mtime_ns"].get<int64_t>() != mtime_ns) {
    return std::nullopt;
  }
  return KeptOf(j["headers"]);
}

void ApplyKept(const KeptHeaders& kept, std::string* content_type, s3::ContentHeaders* content,
               std::map<std::string, std::string>* metadata, std::string* tagging) {
  if (!kept.content_type.empty()) *content_type = kept.content_type;
  *content = kept.content;
  *metadata = kept.metadata;
  s3::QueryParams tags(kept.tags.begin(), kept.tags.end());
  *tagging = tags.empty() ? std::string() : s3::CanonicalQuery(tags);
}

}  // namespace gwsync::sync
