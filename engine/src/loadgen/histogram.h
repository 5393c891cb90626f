// Histogram records latencies (or any non-negative integers) in log-bucketed
// form, as HdrHistogram does: each power of two is split into 64 linear
// buckets, so a percentile read back is within 1/128 (0.8%) of a recorded
// value, from 1 microsecond to hours, in a few KiB. Histograms of the same
// quantity merge exactly, so per-endpoint and per-second histograms add up
// to the run's. Not thread-safe: one owner at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gwsync::loadgen {

class Histogram {
 public:
  void Record(uint64_t value, uint64_t count = 1);
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0; }
  // The value at `percentile` (0..100): the midpoint of the bucket holding
  // that rank, clamped to [min, max]; 0 when empty.
  uint64_t Percentile(double percentile) const;

  // Bucket arithmetic, exposed for tests.
  static size_t BucketOf(uint64_t value);
  static uint64_t BucketLow(size_t bucket);
  static uint64_t BucketHigh(size_t bucket);  // inclusive

 private:
  std::vector<uint64_t> counts_;  // grows to the highest bucket used
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace gwsync::loadgen
