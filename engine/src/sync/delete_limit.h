// --max-delete: how much of a destination one sync may delete, as rclone and
// rsync read it. A count N allows at most N deletes, and 0 none at all; a
// percentage P% allows at most P% of the destination's objects once more
// than kSmallDelete would go. No value the user can give means "no limit":
// only --force-delete lifts it. Plain values, safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gwsync/status.h"

namespace gwsync::sync {

struct DeleteLimit {
  // Below this many deletes a percentage does not apply (a small folder
  // may lose most of its files in one legitimate run).
  static constexpr uint64_t kSmallDelete = 100;

  std::optional<uint64_t> objects;     // at most this many; 0: none
  std::optional<double> percent = 50;  // of the destination's objects, 0 to 100

  // Whether `deletes` of the destination's `destination_objects` may go.
  bool Allows(uint64_t deletes, uint64_t destination_objects) const;
  // InvalidArgument for a percentage that is not a number from 0 to 100.
  Status Check() const;
  std::string ToString() const;  // "5", "50%"
};

// "N" (decimal digits) or "P%" (0 < P <= 100, decimals allowed). Anything
// else, "0%", "nan", "inf" and negative numbers included, is InvalidArgument.
StatusOr<DeleteLimit> ParseDeleteLimit(std::string_view text);

}  // namespace gwsync::sync
