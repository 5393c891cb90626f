#include "sync/delete_limit.h"

#include <charconv>
#include <cstdio>

namespace gwsync::sync {

bool DeleteLimit::Allows(uint64_t deletes, uint64_t destination_objects) const {
  if (objects && deletes > *objects) return false;
  if (percent && deletes > kSmallDelete &&
      100.0 * static_cast<double>(deletes) > *percent * static_cast<double>(destination_objects)) {
    return false;
  }
  return true;
}

Status DeleteLimit::Check() const {
  if (percent && !(*percent >= 0 && *percent <= 100)) {
    return InvalidArgument("the --max-delete percentage must be from 0 to 100");
  }
  return Status::Ok();
}

std::string DeleteLimit::ToString() const {
  if (objects) return std::to_string(*objects);
  if (!percent) return "none";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g%%", *percent);
  return buf;
}

namespace {

bool AllDigits(std::string_view s, bool dot_allowed) {
  if (s.empty()) return false;
  bool dot = false;
  for (char c : s) {
    if (c == '.' && dot_allowed && !dot) {
      dot = true;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return s.front() != '.' && s.back() != '.';
}

}  // namespace

StatusOr<DeleteLimit> ParseDeleteLimit(std::string_view text) {
  auto invalid = [&](const std::string& why) {
    return InvalidArgument("invalid --max-delete '" + std::string(text) + "': " + why);
  };
  DeleteLimit limit;
  if (text.ends_with('%')) {
    std::string_view number = text.substr(0, text.size() - 1);
    double p = 0;
    // Digits only: no sign, no exponent, no "nan" or "inf".
    if (!AllDigits(number, true) ||
        std::from_chars(number.data(), number.data() + number.size(), p).ec != std::errc()) {
      return invalid("expected a count (0 deletes nothing) or a percentage such as 50%");
    }
    if (p == 0) {
      return invalid(
          "a percentage applies only above 100 deletes; say --max-delete 0 to delete "
          "nothing");
    }
    if (p > 100) return invalid("a percentage of the destination is at most 100%");
    limit.percent = p;
    return limit;
  }
  uint64_t n = 0;
  if (!AllDigits(text, false)) {
    return invalid("expected a count (0 deletes nothing) or a percentage such as 50%");
  }
  if (std::from_chars(text.data(), text.data() + text.size(), n).ec != std::errc()) {
    return invalid("the count is too large");
  }
  limit.objects = n;
  limit.percent.reset();
  return limit;
}

}  // namespace gwsync::sync
