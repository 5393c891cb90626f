#include "gwsync/units.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace gwsync {

StatusOr<uint64_t> ParseSize(std::string_view text) {
  auto bad = [&] {
    return InvalidArgument("invalid size '" + std::string(text) +
                           "': expected a number with an optional unit (B, KiB, MiB, GiB, TiB)");
  };
  std::string s(text);
  if (s.empty()) return bad();
  char* end = nullptr;
  double value = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || value < 0 || !std::isfinite(value)) return bad();
  std::string unit(end);
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  double mult = 1;
  if (!unit.empty()) {
    char u = static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0])));
    std::string rest = unit.substr(1);
    if (u == 'B' && rest.empty()) {
      mult = 1;
    } else {
      const std::string kUnits = "KMGT";
      size_t idx = kUnits.find(u);
      if (idx == std::string::npos) return bad();
      if (!(rest.empty() || rest == "B" || rest == "iB" || rest == "ib" || rest == "i")) {
        return bad();
      }
      mult = std::pow(1024.0, static_cast<double>(idx + 1));
    }
  }
  double bytes = value * mult;
  if (bytes > 1.8e19) return bad();
  return static_cast<uint64_t>(std::llround(bytes));
}

std::string FormatSize(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f %s", v, kUnits[u]);
  }
  return buf;
}

}  // namespace gwsync
