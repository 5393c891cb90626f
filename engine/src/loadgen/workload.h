// What a benchmark asks of the gateway: the operations and their shares (a
// mix), the object sizes (fixed, a list or a weighted distribution) and the
// concurrency levels, parsed from what a user types, and drawn from at random
// as the run goes. Pure: no I/O. Parsing is safe from any thread; a Mix or
// SizeDistribution is immutable once built and its Pick takes the caller's
// random generator.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gwsync/status.h"

namespace gwsync::loadgen {

enum class Op { kPut, kGet, kHead, kList, kDelete, kMultipartPut };
constexpr int kOpCount = 6;

std::string_view OpName(Op op);  // "put", "get", "head", "list", "delete", "mpput"
StatusOr<Op> ParseOp(std::string_view name);

// Operations with relative weights.
class Mix {
 public:
  // "put", or "get=45,head=30,put=15,delete=10" (weights need not add to 100).
  static StatusOr<Mix> Parse(std::string_view text);
  static Mix Single(Op op);

  // Draws an operation; `skip` (an Op, or -1) is never drawn, unless it is
  // the only one.
  Op Pick(std::mt19937_64& rng, int skip = -1) const;
  bool Has(Op op) const;
  // The share of `op` in percent (0..100).
  double Share(Op op) const;
  const std::vector<std::pair<Op, double>>& entries() const { return entries_; }
  std::string ToString() const;  // "get=45,head=30,..."

 private:
  std::vector<std::pair<Op, double>> entries_;
};

// Object sizes with relative weights, or an empirical sample (a bucket's sizes).
class SizeDistribution {
 public:
  // "4KiB" (fixed), "4KiB,1MiB" (equally likely) or "4KiB:70,1MiB:25,64MiB:5".
  static StatusOr<SizeDistribution> Parse(std::string_view text);
  // Sizes observed elsewhere, e.g. a bucket's listing, each equally likely.
  // Keeps at most `max_samples`, chosen evenly from `sizes`.
  static StatusOr<SizeDistribution> FromSample(const std::vector<uint64_t>& sizes,
                                               size_t max_samples = 100000);

  uint64_t Pick(std::mt19937_64& rng) const;
  uint64_t Max() const;
  double Mean() const;
  std::string ToString() const;  // "4 KiB:70,1 MiB:30" or "sample of N sizes"
  const std::vector<std::pair<uint64_t, double>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<uint64_t, double>> entries_;  // size, weight
  std::vector<double> cumulative_;
  bool sampled_ = false;
};

// "16" or "1,4,16,64": each at least 1.
StatusOr<std::vector<int>> ParseConcurrencyList(std::string_view text);
// "30s", "2m", "500ms", "1h" or a plain number of seconds.
StatusOr<double> ParseSeconds(std::string_view text);

// A size histogram for display: log2 classes (up to 1 KiB, 1-2 KiB, ...)
// with their object counts.
std::vector<std::pair<uint64_t, uint64_t>> Log2Histogram(const std::vector<uint64_t>& sizes);

}  // namespace gwsync::loadgen
