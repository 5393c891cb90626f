#include "plan/plan.h"

#include <fnmatch.h>

#include <algorithm>

namespace gwsync::plan {

std::string_view ActionName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kUpload:
      return "upload";
    case ActionKind::kDownload:
      return "download";
    case ActionKind::kCopy:
      return "copy";
    case ActionKind::kDelete:
      return "delete";
    case ActionKind::kVerify:
      return "verify";
    case ActionKind::kSkip:
      return "skip";
  }
  return "?";
}

std::string_view SkipReasonName(SkipReason reason) {
  switch (reason) {
    case SkipReason::kNone:
      return "";
    case SkipReason::kUnchanged:
      return "unchanged";
    case SkipReason::kSameEtag:
      return "same content";
    case SkipReason::kExtra:
      return "only at destination";
    case SkipReason::kExcluded:
      return "excluded";
    case SkipReason::kFolderMarker:
      return "folder marker";
    case SkipReason::kOwnState:
      return "gwsync's own manifest";
    case SkipReason::kReplaced:
      return "replaced since listed";
    case SkipReason::kGone:
      return "gone since changed";
  }
  return "?";
}

bool IsSafeRelativeKey(std::string_view key) {
  if (key.empty() || key.front() == '/') return false;
  if (key.find('\0') != std::string_view::npos) return false;
  size_t start = 0;
  for (;;) {
    size_t slash = key.find('/', start);
    std::string_view seg = key.substr(start, slash - start);
    // A trailing '/' (folder marker) leaves an empty last segment: allowed.
    bool last = slash == std::string_view::npos || slash + 1 == key.size();
    if ((seg.empty() && !(last && slash != std::string_view::npos)) || seg == "." || seg == "..") {
      return false;
    }
    if (slash == std::string_view::npos || slash + 1 == key.size()) return true;
    start = slash + 1;
  }
}

namespace {

Decision Make(ActionKind kind, const Entry*, const Entry*, SkipReason reason = SkipReason::kNone) {
  return Decision{kind, reason};
}

bool IsFolderMarker(const Entry& e) { return !e.key.empty() && e.key.back() == '/'; }

}  // namespace

Decision Decide(const Entry* src, const Entry* dst, const std::optional<Remembered>& remembered,
                const PlanOptions& options) {
  const Direction dir = options.direction;
  // An empty local folder the walk reports ("dir/", --create-empty-src-dirs)
  // is no object: it goes up as an empty marker only when asked and absent.
  // (A marker kept in the key store, with a path, is an object like any.)
  if (src && IsFolderMarker(*src) && src->path.empty() && dir == Direction::kUpload) {
    if (options.empty_dirs && !dst) return Make(ActionKind::kUpload, src, dst);
    return Make(ActionKind::kSkip, src, dst, SkipReason::kFolderMarker);
  }
  // A bucket's marker that no local file stands for stays, even with --delete.
  if (!src && dst && IsFolderMarker(*dst) && dir == Direction::kUpload) {
    return Make(ActionKind::kSkip, src, dst, SkipReason::kFolderMarker);
  }
  if (!src && dst && options.keep_own_manifests && IsOwnManifestKey(dst->key)) {
    return Make(ActionKind::kSkip, src, dst, SkipReason::kOwnState);
  }
  if (!src) {
    return options.delete_extra ? Make(ActionKind::kDelete, src, dst)
                                : Make(ActionKind::kSkip, src, dst, SkipReason::kExtra);
  }
  const ActionKind transfer = dir == Direction::kUpload     ? ActionKind::kUpload
                              : dir == Direction::kDownload ? ActionKind::kDownload
                                                            : ActionKind::kCopy;
  if (!dst) return Make(transfer, src, dst);
  if (src->size != dst->size) return Make(transfer, src, dst);
  if (remembered && remembered->refetch) return Make(transfer, src, dst);

  if (dir == Direction::kCopy) {
    if (remembered && remembered->source_etag == src->etag && remembered->etag == dst->etag &&
        !options.checksum) {
      return Make(ActionKind::kSkip, src, dst, SkipReason::kUnchanged);
    }
    // Equal ETags mean equal content (same MD5, or the same multipart layout).
    if (src->etag == dst->etag) return Make(ActionKind::kSkip, src, dst, SkipReason::kSameEtag);
    return Make(transfer, src, dst);
  }

  // One side is a local file, the other an object.
  const Entry& file = dir == Direction::kUpload ? *src : *dst;
  const Entry& object = dir == Direction::kUpload ? *dst : *src;
  if (!options.checksum && remembered && remembered->has_local && remembered->size == file.size &&
      remembered->mtime_ns == file.mtime_ns && remembered->inode == file.inode &&
      remembered->etag == object.etag) {
    return Make(ActionKind::kSkip, src, dst, SkipReason::kUnchanged);
  }
  return Make(ActionKind::kVerify, src, dst);
}

namespace {

constexpr size_t kStoreSegment = 200;  // hex digits per folder of the key store
constexpr size_t kNameMax = 255;       // NAME_MAX of Linux file systems
constexpr std::string_view kStoreSuffix = ".k";
constexpr std::string_view kLinkSuffix = ".rclonelink";

// Whether a relative file name holds `key` as it is.
bool FitsAFolder(std::string_view key) {
  if (!IsSafeRelativeKey(key) || key.back() == '/') return false;  // markers too
  if (key == kReservedDir || (key.starts_with(kReservedDir) && key[kReservedDir.size()] == '/')) {
    return false;
  }
  for (size_t start = 0; start < key.size();) {
    size_t slash = std::min(key.find('/', start), key.size());
    if (slash - start > kNameMax) return false;
    start = slash + 1;
  }
  return true;
}

}  // namespace

bool NeedsKeyStore(std::string_view key, bool links) {
  if (!FitsAFolder(key)) return true;
  if (links && key.ends_with(kLinkSuffix) && key.size() > kLinkSuffix.size()) {
    return !FitsAFolder(key.substr(0, key.size() - kLinkSuffix.size()));
  }
  return false;
}

namespace {

// `dir` + '/' + the hex of `key`'s bytes in folders of 200 digits + `suffix`.
std::string HexPath(std::string_view dir, std::string_view key, std::string_view suffix) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string path(dir);
  path += '/';
  for (size_t i = 0; i < key.size(); ++i) {
    if (i > 0 && i % (kStoreSegment / 2) == 0) path += '/';
    auto c = static_cast<unsigned char>(key[i]);
    path += kHex[c >> 4];
    path += kHex[c & 15];
  }
  return path + std::string(suffix);
}

// The bytes HexPath encoded (`path` relative to its `dir`, without the
// suffix); nothing when it is not such a path.
std::optional<std::string> FromHexPath(std::string_view path) {
  // Folders of exactly 200 digits, then the last name of at most 200.
  std::string hex;
  for (size_t start = 0;;) {
    size_t slash = path.find('/', start);
    std::string_view seg =
        path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (slash == std::string_view::npos ? seg.size() > kStoreSegment
                                        : seg.size() != kStoreSegment) {
      return std::nullopt;
    }
    hex.append(seg);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  std::string key;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    key += static_cast<char>(hi << 4 | lo);
  }
  return key;
}

constexpr std::string_view kVersionSuffix = ".v";

}  // namespace

std::string KeyStorePath(std::string_view key) { return HexPath(kKeyStoreDir, key, kStoreSuffix); }

std::optional<std::string> KeyFromStorePath(std::string_view path) {
  if (!path.ends_with(kStoreSuffix)) return std::nullopt;
  path.remove_suffix(kStoreSuffix.size());
  return FromHexPath(path);
}

std::string VersionStorePath(std::string_view key, std::string_view version_id) {
  return HexPath(HexPath(kVersionStoreDir, key, kStoreSuffix), version_id, kVersionSuffix);
}

std::optional<std::pair<std::string, std::string>> VersionFromStorePath(std::string_view path) {
  // Hex digits hold no '.': the key's part ends at the first ".k/".
  size_t end = path.find(std::string(kStoreSuffix) + "/");
  if (end == std::string_view::npos || !path.ends_with(kVersionSuffix)) return std::nullopt;
  auto key = KeyFromStorePath(path.substr(0, end + kStoreSuffix.size()));
  std::string_view name = path.substr(end + kStoreSuffix.size() + 1);
  name.remove_suffix(kVersionSuffix.size());
  auto version = name.empty() ? std::nullopt : FromHexPath(name);
  if (!key || !version) return std::nullopt;
  return std::make_pair(std::move(*key), std::move(*version));
}

bool IsOwnManifestKey(std::string_view key) {
  if (!key.starts_with(kReservedDir) || !key.substr(kReservedDir.size()).starts_with('/')) {
    return false;
  }
  key.remove_prefix(kReservedDir.size() + 1);
  return key == "manifest-latest" || (key.starts_with("manifest-") && key.ends_with(".jsonl.zst") &&
                                      key.find('/') == std::string_view::npos);
}

bool Filter::Allows(std::string_view key) const {
  std::string k(key);
  size_t slash = k.rfind('/');
  std::string base = slash == std::string::npos ? k : k.substr(slash + 1);
  for (const Rule& r : rules_) {
    bool match = fnmatch(r.pattern.c_str(), k.c_str(), 0) == 0 ||
                 (r.pattern.find('/') == std::string::npos &&
                  fnmatch(r.pattern.c_str(), base.c_str(), 0) == 0);
    if (match) return r.include;
  }
  // No rule matched: excluded only when every rule is an --include.
  return rules_.empty() ||
         !std::all_of(rules_.begin(), rules_.end(), [](const Rule& r) { return r.include; });
}

}  // namespace gwsync::plan
