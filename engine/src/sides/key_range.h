// A share of a sync's key space, for running one sync as N processes
// (`--shard I/N`). N-1 split points s0 < s1 < ... cut the keys (relative to
// the sync's prefix, compared as unsigned bytes, as S3 orders them) into N
// ranges: share 0 holds keys <= s0, share i keys in (s[i-1], s[i]], the last
// keys > s[N-2]. The lower end is exclusive so that a share starts its
// listing with S3's `start-after`; every key, of any bytes, lies in exactly
// one share for any N. Plain values; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gwsync/status.h"

namespace gwsync::sides {

struct KeyRange {
  std::optional<std::string> after;    // keys > after; none: from the first key
  std::optional<std::string> through;  // keys <= through; none: to the last key

  bool all() const { return !after && !through; }
  bool Contains(std::string_view key) const {
    return (!after || key > *after) && (!through || key <= *through);
  }
  // Every key starting with `folder` lies below / above the range.
  bool FolderBelow(std::string_view folder) const {
    return after && folder <= *after && !std::string_view(*after).starts_with(folder);
  }
  bool FolderAbove(std::string_view folder) const { return through && folder > *through; }
  // The same range for keys with `prefix` in front.
  KeyRange WithPrefix(const std::string& prefix) const;
};

// Share `index` (0-based) of the N = bounds.size() + 1 shares cut by
// `bounds`, which must be strictly ascending (ValidateBounds).
KeyRange ShareRange(const std::vector<std::string>& bounds, int index);
Status ValidateBounds(const std::vector<std::string>& bounds);

// Keys in files and reports: bytes outside printable ASCII, '%' and spaces
// as %XX, so any key fits on a line and in JSON.
std::string EncodeKey(std::string_view key);
StatusOr<std::string> DecodeKey(std::string_view text);

// "I/N" (0 <= I < N). "auto": I from SLURM_ARRAY_TASK_ID (a 0-based array)
// or Kubernetes' JOB_COMPLETION_INDEX; N from GWSYNC_SHARD_COUNT, else
// (Slurm only) SLURM_ARRAY_TASK_COUNT. Re-running task 3 alone
// (`sbatch --array=3`) needs GWSYNC_SHARD_COUNT: that array has one task.
struct ShareSpec {
  int index = 0;
  int count = 1;
};
StatusOr<ShareSpec> ParseShareSpec(const std::string& text);

}  // namespace gwsync::sides
