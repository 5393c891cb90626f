#include "cli/suggest.h"

#include <algorithm>

namespace gwsync::cli {

size_t EditDistance(std::string_view a, std::string_view b) {
  // Three rows of the optimal-string-alignment table: two back for a swap.
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t replace = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, replace});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    before.swap(previous);
    previous.swap(current);
  }
  return previous[b.size()];
}

std::string Nearest(std::string_view typed, const std::vector<std::string>& names) {
  const size_t allowed = typed.size() >= 5 ? 2 : typed.size() >= 3 ? 1 : 0;
  const std::string* best = nullptr;
  size_t best_distance = allowed + 1;
  for (const std::string& name : names) {
    size_t d = EditDistance(typed, name);
    if (d < best_distance) {
      best = &name;
      best_distance = d;
    }
  }
  if (best != nullptr) return *best;
  if (typed.size() < 3) return "";
  for (const std::string& name : names) {
    if (name.starts_with(typed) && (best == nullptr || name.size() < best->size())) best = &name;
  }
  return best != nullptr ? *best : "";
}

}  // namespace gwsync::cli
