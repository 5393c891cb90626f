#include "loadgen/workload.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <numeric>

#include "gwsync/units.h"

namespace gwsync::loadgen {
namespace {

constexpr std::string_view kOpNames[kOpCount] = {"put", "get", "head", "list", "delete", "mpput"};

std::vector<std::string_view> SplitComma(std::string_view text) {
  std::vector<std::string_view> out;
  while (true) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    out.push_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

// A non-negative decimal number, the whole of `text`.
bool ParseNumber(std::string_view text, double* out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && *out >= 0 && std::isfinite(*out);
}

}  // namespace

std::string_view OpName(Op op) { return kOpNames[static_cast<int>(op)]; }

StatusOr<Op> ParseOp(std::string_view name) {
  for (int i = 0; i < kOpCount; ++i) {
    if (kOpNames[i] == name) return static_cast<Op>(i);
  }
  return InvalidArgument("unknown operation '" + std::string(name) +
                         "': expected put, get, head, list, delete or mpput");
}

StatusOr<Mix> Mix::Parse(std::string_view text) {
  Mix mix;
  if (text.find('=') == std::string_view::npos) {
    ASSIGN_OR_RETURN(Op op, ParseOp(text));
    return Single(op);
  }
  for (std::string_view item : SplitComma(text)) {
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument("invalid mix entry '" + std::string(item) +
                             "': expected OP=WEIGHT, e.g. get=45,put=15");
    }
    ASSIGN_OR_RETURN(Op op, ParseOp(item.substr(0, eq)));
    double weight = 0;
    if (!ParseNumber(item.substr(eq + 1), &weight)) {
      return InvalidArgument("invalid weight in mix entry '" + std::string(item) +
                             "': expected a non-negative number");
    }
    if (mix.Has(op)) {
      return InvalidArgument("operation '" + std::string(OpName(op)) +
                             "' appears twice in the mix");
    }
    if (weight > 0) mix.entries_.emplace_back(op, weight);
  }
  if (mix.entries_.empty())
    return InvalidArgument("the mix has no operation with a weight above 0");
  return mix;
}

Mix Mix::Single(Op op) {
  Mix mix;
  mix.entries_.emplace_back(op, 100);
  return mix;
}

Op Mix::Pick(std::mt19937_64& rng, int skip) const {
  double total = 0;
  for (const auto& [op, w] : entries_) {
    if (static_cast<int>(op) != skip) total += w;
  }
  if (total <= 0) return entries_.front().first;
  double x = std::uniform_real_distribution<double>(0, total)(rng);
  for (const auto& [op, w] : entries_) {
    if (static_cast<int>(op) == skip) continue;
    if (x < w) return op;
    x -= w;
  }
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (static_cast<int>(it->first) != skip) return it->first;
  }
  return entries_.front().first;
}

bool Mix::Has(Op op) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [op](const auto& e) { return e.first == op; });
}

double Mix::Share(Op op) const {
  double total = 0, mine = 0;
  for (const auto& [o, w] : entries_) {
    total += w;
    if (o == op) mine += w;
  }
  return total > 0 ? 100 * mine / total : 0;
}

std::string Mix::ToString() const {
  std::string out;
  for (const auto& [op, w] : entries_) {
    if (!out.empty()) out += ",";
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%g", Share(op));
    out += std::string(OpName(op)) + "=" + buf;
  }
  return out;
}

StatusOr<SizeDistribution> SizeDistribution::Parse(std::string_view text) {
  SizeDistribution d;
  for (std::string_view item : SplitComma(text)) {
    size_t colon = item.find(':');
    double weight = 1;
    if (colon != std::string_view::npos) {
      if (!ParseNumber(item.substr(colon + 1), &weight)) {
        return InvalidArgument("invalid weight in size entry '" + std::string(item) +
                               "': expected SIZE:WEIGHT, e.g. 4KiB:70");
      }
      item = item.substr(0, colon);
    }
    ASSIGN_OR_RETURN(uint64_t size, ParseSize(item));
    if (weight > 0) d.entries_.emplace_back(size, weight);
  }
  if (d.entries_.empty()) return InvalidArgument("no object size with a weight above 0");
  double sum = 0;
  for (const auto& e : d.entries_) d.cumulative_.push_back(sum += e.second);
  return d;
}

StatusOr<SizeDistribution> SizeDistribution::FromSample(const std::vector<uint64_t>& sizes,
                                                        size_t max_samples) {
  if (sizes.empty()) return InvalidArgument("no object sizes to replay: the listing is empty");
  SizeDistribution d;
  d.sampled_ = true;
  size_t n = std::min(sizes.size(), std::max<size_t>(1, max_samples));
  for (size_t i = 0; i < n; ++i) {
    d.entries_.emplace_back(sizes[i * sizes.size() / n], 1);
    d.cumulative_.push_back(static_cast<double>(i + 1));
  }
  return d;
}

uint64_t SizeDistribution::Pick(std::mt19937_64& rng) const {
  if (entries_.size() == 1) return entries_[0].first;
  double x = std::uniform_real_distribution<double>(0, cumulative_.back())(rng);
  size_t i = std::upper_bound(cumulative_.begin(), cumulative_.end(), x) - cumulative_.begin();
  return entries_[std::min(i, entries_.size() - 1)].first;
}

uint64_t SizeDistribution::Max() const {
  uint64_t m = 0;
  for (const auto& e : entries_) m = std::max(m, e.first);
  return m;
}

double SizeDistribution::Mean() const {
  double sum = 0;
  for (const auto& [size, w] : entries_) sum += static_cast<double>(size) * w;
  return cumulative_.empty() ? 0 : sum / cumulative_.back();
}

std::string SizeDistribution::ToString() const {
  if (sampled_) {
    return "replayed from " + std::to_string(entries_.size()) + " objects, mean " +
           FormatSize(static_cast<uint64_t>(Mean()));
  }
  std::string out;
  for (const auto& [size, w] : entries_) {
    if (!out.empty()) out += ",";
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%g", 100 * w / cumulative_.back());
    out += FormatSize(size) + ":" + buf;
  }
  return out;
}

StatusOr<std::vector<int>> ParseConcurrencyList(std::string_view text) {
  std::vector<int> out;
  for (std::string_view item : SplitComma(text)) {
    int v = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() || v < 1 ||
        v > 4096) {
      return InvalidArgument("invalid concurrency '" + std::string(item) +
                             "': expected a number from 1 to 4096, or a list like 1,4,16,64");
    }
    out.push_back(v);
  }
  return out;
}

StatusOr<double> ParseSeconds(std::string_view text) {
  auto bad = [&] {
    return InvalidArgument("invalid duration '" + std::string(text) +
                           "': expected e.g. 30s, 2m, 500ms or 1h");
  };
  size_t unit = text.find_first_not_of("0123456789.");
  double value = 0;
  if (!ParseNumber(text.substr(0, unit), &value)) return bad();
  std::string_view u = unit == std::string_view::npos ? "" : text.substr(unit);
  if (u.empty() || u == "s") return value;
  if (u == "ms") return value / 1000;
  if (u == "m") return value * 60;
  if (u == "h") return value * 3600;
  return bad();
}

std::vector<std::pair<uint64_t, uint64_t>> Log2Histogram(const std::vector<uint64_t>& sizes) {
  std::vector<uint64_t> counts;
  for (uint64_t s : sizes) {
    // Class k holds (2^(k-1) KiB, 2^k KiB]; class 0 everything up to 1 KiB.
    size_t k = s <= 1024 ? 0 : std::bit_width((s - 1) >> 10);
    if (k >= counts.size()) counts.resize(k + 1);
    ++counts[k];
  }
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (size_t k = 0; k < counts.size(); ++k) {
    if (counts[k]) out.emplace_back(uint64_t{1024} << k, counts[k]);
  }
  return out;
}

}  // namespace gwsync::loadgen
