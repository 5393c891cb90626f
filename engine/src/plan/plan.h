// The sync planner: what to do with one key, given the entry each side has
// (listed in S3's byte order, where "a-b" < "a/b", and walked together by
// sync/merge.h) and what the index remembers of it. Pure: no I/O, no
// clocks, safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
  // Local only: where the file is under the root when not at its key (the
  // key store, KeyStorePath); empty: the key itself.
  std::string path;
  // A run manifest's record: the part layout the object records (where
  // known), and whether the copy's content was never proven (unverifiable:
  // verify cannot call it a match).
  uint64_t part_size = 0;
  uint32_t part_doubling = 0;
  bool unverified = false;
  // A run manifest's record: the xxh3-128 (hex) of the file's bytes, where
  // known (verify --content checks a file against it).
  std::string xxh3;
};

// What the index remembers of a key that was in sync.
struct Remembered {
  // The local file as it was when last in sync with the object.
  bool has_local = false;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  std::string etag;  // the object's ETag then
  std::string xxh3;  // the file's xxh3-128 (hex) then, where known
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
  kSkip,
};

enum class SkipReason {
  kNone,
  kUnchanged,     // the index proves both sides are as last synced
  kSameEtag,      // both objects have the same content ETag
  kExtra,         // only at the destination, and no --delete
  kExcluded,      // filtered out by --exclude/--include
  kFolderMarker,  // a local folder is no object: a bucket's "dir/" markers stay
  kOwnState,      // a run manifest gwsync keeps in the destination bucket
  kReplaced,      // no longer the file listed (now a link, a FIFO, another file): not read
  kGone,          // a changed object that no longer exists: its removal comes next
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
  // A bucket destination where gwsync keeps its run manifests
  // (--manifest-bucket): those of its names that the source lacks are kept.
  bool keep_own_manifests = false;
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

// The key store of a folder side: where a key a folder cannot hold under its
// own name lives, at `.gwsync/keys/` under the root, by a reversible
// encoding of the whole key that sorts as the keys do (the hex of its bytes
// in folders of 200 digits, ending ".k"), so the store is read back in key
// order beside the tree: "a//b" is .gwsync/keys/612f2f62.k. Every other key
// keeps its own relative path (s3cmd and rclone see the same files).
inline constexpr std::string_view kKeyStoreDir = ".gwsync/keys";
// Whether `key` goes to the key store: an empty, "." or ".." segment
// (`x//y`, `./x`, `/abs`), a NUL byte, a segment longer than 255 bytes, the
// reserved name itself or a key under it (`.gwsync`, `.gwsync/x`), a folder
// marker (`dir/`, with content or without); with `links`, a link object
// (NAME.rclonelink) whose NAME would go there, or would be `.gwsync`. (A key
// that is also a folder, `a` beside `a/b`, is moved there when the two meet,
// and one a file system refuses, when it does: sync/direction_download.cc.)
bool NeedsKeyStore(std::string_view key, bool links);
// The path under the root of `key` in the key store.
std::string KeyStorePath(std::string_view key);
// The key a path in the key store (relative to it: "612f2f62.k") holds;
// nothing for a file of any other name.
std::optional<std::string> KeyFromStorePath(std::string_view path);

// The version store of an --all-versions backup: each version of a key that
// is not the key's file in the tree (older versions, and a current one the
// tree does not hold as listed) at `.gwsync/versions/` + the key as
// KeyStorePath encodes it (folders of 200 hex digits, ending ".k") + "/" +
// the hex of the version ID + ".v": "a" version "v1" is
// .gwsync/versions/61.k/7631.v. Reversible; the order of a key's versions
// is the run manifest's, not the names'.
inline constexpr std::string_view kVersionStoreDir = ".gwsync/versions";
std::string VersionStorePath(std::string_view key, std::string_view version_id);
// The key and version ID of a name in the version store, relative to it
// ("61.k/7631.v"); nothing for any other name.
std::optional<std::pair<std::string, std::string>> VersionFromStorePath(std::string_view path);

// The state folder at the root of a folder side (run manifests, bucket
// settings, the key store): gwsync's own, never walked as keys. In a bucket
// nothing is reserved: keys under ".gwsync/" are a user's like any other.
inline constexpr std::string_view kReservedDir = ".gwsync";
// Each name of gwsync's own inside it is under that one name.
static_assert(kKeyStoreDir.starts_with(kReservedDir) && kKeyStoreDir[kReservedDir.size()] == '/');
static_assert(kVersionStoreDir.starts_with(kReservedDir) &&
              kVersionStoreDir[kReservedDir.size()] == '/');
// The names of the run manifests gwsync keeps in a bucket with
// --manifest-bucket (relative to the prefix synced): .gwsync/manifest-latest
// and .gwsync/manifest-*.jsonl.zst.
bool IsOwnManifestKey(std::string_view key);

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
