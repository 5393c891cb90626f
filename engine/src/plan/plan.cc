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
    case ActionKind::kMkdir:
      return "mkdir";
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
    case SkipReason::kUnsafeKey:
      return "unsafe key";
    case SkipReason::kFolderMarker:
      return "folder marker";
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
  if (src && IsFolderMarker(*src)) {
    if (dir == Direction::kDownload) {
      if (!IsSafeRelativeKey(src->key))
        return Make(ActionKind::kSkip, src, dst, SkipReason::kUnsafeKey);
      return Make(ActionKind::kMkdir, src, dst);
    }
    if (dir == Direction::kUpload) {
      if (options.empty_dirs && !dst) return Make(ActionKind::kUpload, src, dst);
      return Make(ActionKind::kSkip, src, dst, SkipReason::kFolderMarker);
    }
  }
  if (!src && dst && IsFolderMarker(*dst) && dir == Direction::kUpload) {
    return Make(ActionKind::kSkip, src, dst, SkipReason::kFolderMarker);
  }
  if (dir == Direction::kDownload && src && !IsSafeRelativeKey(src->key)) {
    return Make(ActionKind::kSkip, src, dst, SkipReason::kUnsafeKey);
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

bool IsReservedKey(std::string_view key) {
  return key.size() > kReservedDir.size() && key.starts_with(kReservedDir) &&
         key[kReservedDir.size()] == '/';
}

bool Filter::Allows(std::string_view key) const {
  if (IsReservedKey(key)) return false;
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
