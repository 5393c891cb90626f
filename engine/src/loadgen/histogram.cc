#include "loadgen/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace gwsync::loadgen {
namespace {
// Values below 2^kSubBits have a bucket each; above, each power of two has
// 2^(kSubBits-1) buckets.
constexpr int kSubBits = 7;
constexpr uint64_t kHalf = uint64_t{1} << (kSubBits - 1);

int Shift(uint64_t value) {
  return std::max(0, static_cast<int>(std::bit_width(value)) - kSubBits);
}
}  // namespace

size_t Histogram::BucketOf(uint64_t value) {
  int e = Shift(value);
  return static_cast<size_t>(e * kHalf + (value >> e));
}

uint64_t Histogram::BucketLow(size_t bucket) {
  if (bucket < 2 * kHalf) return bucket;
  uint64_t e = bucket / kHalf - 1;
  return (bucket - e * kHalf) << e;
}

uint64_t Histogram::BucketHigh(size_t bucket) {
  if (bucket < 2 * kHalf) return bucket;
  uint64_t e = bucket / kHalf - 1;
  return BucketLow(bucket) + (uint64_t{1} << e) - 1;
}

void Histogram::Record(uint64_t value, uint64_t count) {
  if (count == 0) return;
  size_t b = BucketOf(value);
  if (b >= counts_.size()) counts_.resize(b + 1);
  counts_[b] += count;
  count_ += count;
  sum_ += value * count;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) return;
  if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size());
  for (size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

uint64_t Histogram::Percentile(double percentile) const {
  if (count_ == 0) return 0;
  if (percentile >= 100) return max_;
  percentile = std::max(percentile, 0.0);
  // The rank of the value asked for, 1-based: p50 of 10 values is the 5th.
  auto rank = static_cast<uint64_t>(std::ceil(percentile / 100 * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t b = 0; b < counts_.size(); ++b) {
    seen += counts_[b];
    if (seen >= rank) {
      uint64_t mid = BucketLow(b) + (BucketHigh(b) - BucketLow(b)) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace gwsync::loadgen
