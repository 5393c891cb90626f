#include "loadgen/histogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace gwsync::loadgen {
namespace {

TEST(HistogramTest, EmptyReadsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(50), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.mean(), 0);
}

TEST(HistogramTest, BucketsCoverEveryValueWithinOnePercent) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200000; ++i) {
    uint64_t v = rng() >> (rng() % 64);
    size_t b = Histogram::BucketOf(v);
    ASSERT_LE(Histogram::BucketLow(b), v) << v;
    ASSERT_GE(Histogram::BucketHigh(b), v) << v;
    // A bucket is at most 1/64 of its values wide.
    ASSERT_LE(Histogram::BucketHigh(b) - Histogram::BucketLow(b), Histogram::BucketLow(b) / 64)
        << v;
  }
  // Adjacent buckets touch: no value falls between them.
  for (size_t b = 0; b < 3000; ++b) {
    EXPECT_EQ(Histogram::BucketHigh(b) + 1, Histogram::BucketLow(b + 1)) << b;
  }
}

TEST(HistogramTest, PercentilesOfAUniformSpreadAreWithinOnePercent) {
  Histogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100000u);
  EXPECT_NEAR(h.mean(), 50000.5, 0.01);
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9}) {
    double want = p * 1000;
    EXPECT_NEAR(static_cast<double>(h.Percentile(p)), want, want * 0.01) << "p" << p;
  }
  EXPECT_EQ(h.Percentile(100), 100000u);
}

TEST(HistogramTest, OneValueIsEveryPercentile) {
  Histogram h;
  h.Record(123456, 7);
  EXPECT_EQ(h.count(), 7u);
  for (double p : {0.0, 50.0, 99.9, 100.0}) EXPECT_EQ(h.Percentile(p), 123456u);
}

TEST(HistogramTest, TailIsNotHiddenByTheBulk) {
  Histogram h;
  h.Record(1000, 990);
  h.Record(500000, 10);  // 1% of requests stall
  EXPECT_NEAR(static_cast<double>(h.Percentile(50)), 1000, 10);
  EXPECT_NEAR(static_cast<double>(h.Percentile(99)), 1000, 10);
  EXPECT_NEAR(static_cast<double>(h.Percentile(99.5)), 500000, 5000);
  EXPECT_EQ(h.max(), 500000u);
}

TEST(HistogramTest, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(8, 1.5);
  Histogram a, b, all;
  for (int i = 0; i < 50000; ++i) {
    auto v = static_cast<uint64_t>(latency(rng));
    (i % 3 ? a : b).Record(v);
    all.Record(v);
  }
  Histogram merged;
  merged.Merge(a);
  merged.Merge(b);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_DOUBLE_EQ(merged.mean(), all.mean());
  for (double p : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(merged.Percentile(p), all.Percentile(p));
  Histogram empty;
  merged.Merge(empty);
  EXPECT_EQ(merged.count(), all.count());
}

TEST(HistogramTest, HoursInMicrosecondsStayAccurate) {
  Histogram h;
  const uint64_t hour = 3600ull * 1000 * 1000;
  h.Record(hour);
  h.Record(2 * hour);
  EXPECT_NEAR(static_cast<double>(h.Percentile(50)), hour, hour * 0.01);
  EXPECT_EQ(h.Percentile(100), 2 * hour);
}

}  // namespace
}  // namespace gwsync::loadgen
