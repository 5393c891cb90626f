// The sync planner: what to do with one key, given the entry each side has
// (listed in S3's byte order, where "a-b" < "a/b", and walked together by
// sync/merge.h) and what the index remembers of it. Pure: no I/O, no
// clocks, safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gwsync/status.h"

namespace gwsync::plan {

// One side's view of a key. Local entries have file facts, remote entries
// an ETag.
struct Entry {
  std::string key;
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // local files only
  uint64_t inode = 0;    // local files only
  uint32_t mode = 0;     // local files only
  bool link = false;     // local only: a symbolic link stored as KEY (NAME.rclonelink)
  std::string etag;      // remote objects only
  // A run manifest's record: the part layout the object records (where
  // known), and whether the copy's content was never proven (unverifiable:
  // verify cannot call it a match).
  uint64_t part_size = 0;
  uint32_t part_doubling = 0;
  bool unverified = false;
};

// What the index remembers of a key that was in sync.
struct Remembered {
  // The local file as it was when last in sync with the object.
  bool has_local = false;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  std::string etag;  // the object's ETag then
  // Cluster to cluster: the source ETag the destination object was copied from.
  std::string source_etag;
  // The copy is in place but not as the object says: its content never
  // proven, or an attribute that could not be set. Transferred again.
  bool refetch = false;
};

enum class Direction { kUpload, kDownload, kCopy };

enum class ActionKind {
  kUpload,    // local file -> object
  kDownload,  // object -> local file
  kCopy,      // object -> object
  kDelete,    // the destination has a key the source does not (--delete)
  kVerify,    // sizes agree but nothing proves the content does: compare hashes
  kMkdir,     // a folder marker object ("dir/") becomes a folder
  kSkip,
};

enum class SkipReason {
  kNone,
  kUnchanged,     // the index proves both sides are as last synced
  kSameEtag,      // both objects have the same content ETag
  kExtra,         // only at the destination, and no --delete
  kExcluded,      // filtered out by --exclude/--include
  kUnsafeKey,     // would escape the destination folder: refused
  kFolderMarker,  // "dir/" markers are not files
};

struct Action {
  ActionKind kind = ActionKind::kSkip;
  SkipReason reason = SkipReason::kNone;
  std::string key;
  std::optional<Entry> src;
  std::optional<Entry> dst;
};

std::string_view ActionName(ActionKind kind);
std::string_view SkipReasonName(SkipReason reason);

struct PlanOptions {
  Direction direction = Direction::kUpload;
  bool delete_extra = false;
  bool checksum = false;  // compare content even when the index says unchanged
  // Uploads: a local folder marker ("dir/", an empty folder the walker
  // reports with --create-empty-src-dirs) becomes an empty "dir/" object.
  bool empty_dirs = false;
};

struct Decision {
  ActionKind kind = ActionKind::kSkip;
  SkipReason reason = SkipReason::kNone;
};

// The decision for one key present on at least one side (null: absent).
Decision Decide(const Entry* src, const Entry* dst, const std::optional<Remembered>& remembered,
                const PlanOptions& options);
inline Decision Decide(const std::optional<Entry>& src, const std::optional<Entry>& dst,
                       const std::optional<Remembered>& remembered, const PlanOptions& options) {
  return Decide(src ? &*src : nullptr, dst ? &*dst : nullptr, remembered, options);
}

// A key is safe to write under a folder when it is relative and has no
// empty, "." or ".." segment (so "a/../../b", "/etc/x" and "a//b" are not).
bool IsSafeRelativeKey(std::string_view key);

// Keys under ".gwsync/" at the root of a sync's side are gwsync's own (run
// manifests): never synced either way, never deleted, never compared.
inline constexpr std::string_view kReservedDir = ".gwsync";
bool IsReservedKey(std::string_view key);

// --exclude / --include rules, first match wins; when only --include rules
// are given, keys matching none are excluded. Patterns are shell globs over
// the whole key ('*' crosses '/'); a pattern without '/' also matches the
// key's last segment, so "*.tmp" excludes "a/b.tmp". Reserved keys are
// always excluded.
class Filter {
 public:
  void Exclude(std::string pattern) { rules_.push_back({std::move(pattern), false}); }
  void Include(std::string pattern) { rules_.push_back({std::move(pattern), true}); }
  bool Allows(std::string_view key) const;
  bool empty() const { return rules_.empty(); }

 private:
  struct Rule {
    std::string pattern;
    bool include;
  };
  std::vector<Rule> rules_;
};

}  // namespace gwsync::plan
