#include "loadgen/workload.h"

#include <gtest/gtest.h>

#include <map>

#include "loadgen/stats.h"

namespace gwsync::loadgen {
namespace {

TEST(MixTest, ParsesWeightsIntoShares) {
  auto mix = Mix::Parse("get=45,head=30,put=15,delete=10");
  ASSERT_TRUE(mix.ok()) << mix.status().ToString();
  EXPECT_DOUBLE_EQ(mix->Share(Op::kGet), 45);
  EXPECT_DOUBLE_EQ(mix->Share(Op::kDelete), 10);
  EXPECT_FALSE(mix->Has(Op::kList));
  EXPECT_EQ(mix->ToString(), "get=45,head=30,put=15,delete=10");
  // Weights need not add up to 100.
  auto halves = Mix::Parse("put=1, get=1");
  ASSERT_TRUE(halves.ok());
  EXPECT_DOUBLE_EQ(halves->Share(Op::kPut), 50);
}

TEST(MixTest, DrawsOperationsInTheirShares) {
  auto mix = Mix::Parse("get=45,head=30,put=15,delete=10");
  ASSERT_TRUE(mix.ok());
  std::mt19937_64 rng(42);
  std::map<Op, int> seen;
  const int n = 200000;
  for (int i = 0; i < n; ++i) ++seen[mix->Pick(rng)];
  EXPECT_NEAR(seen[Op::kGet] * 100.0 / n, 45, 1);
  EXPECT_NEAR(seen[Op::kHead] * 100.0 / n, 30, 1);
  EXPECT_NEAR(seen[Op::kPut] * 100.0 / n, 15, 1);
  EXPECT_NEAR(seen[Op::kDelete] * 100.0 / n, 10, 1);
  // A skipped operation is never drawn.
  for (int i = 0; i < 10000; ++i) EXPECT_NE(mix->Pick(rng, static_cast<int>(Op::kGet)), Op::kGet);
}

TEST(MixTest, OneOperationByName) {
  auto mix = Mix::Parse("mpput");
  ASSERT_TRUE(mix.ok());
  std::mt19937_64 rng(1);
  EXPECT_EQ(mix->Pick(rng), Op::kMultipartPut);
  EXPECT_EQ(mix->entries().size(), 1u);
}

TEST(MixTest, RejectsWhatItCannotRead) {
  for (const char* bad :
       {"", "fly", "get=x", "get=-1", "get=45,get=10", "get=0,put=0", "get45", "get=45,,put=1"}) {
    auto mix = Mix::Parse(bad);
    EXPECT_FALSE(mix.ok()) << bad;
    if (!mix.ok()) {
      EXPECT_EQ(mix.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
  EXPECT_NE(Mix::Parse("get=1,fly=2").status().message().find("unknown operation 'fly'"),
            std::string::npos);
}

TEST(SizesTest, FixedListAndDistribution) {
  std::mt19937_64 rng(3);
  auto fixed = SizeDistribution::Parse("4KiB");
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed->Pick(rng), 4096u);
  EXPECT_EQ(fixed->Max(), 4096u);

  auto list = SizeDistribution::Parse("1KiB,1MiB");
  ASSERT_TRUE(list.ok());
  std::map<uint64_t, int> seen;
  for (int i = 0; i < 100000; ++i) ++seen[list->Pick(rng)];
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_NEAR(seen[1024] / 1000.0, 50, 1);

  auto dist = SizeDistribution::Parse("4KiB:70,1MiB:25,64MiB:5");
  ASSERT_TRUE(dist.ok()) << dist.status().ToString();
  seen.clear();
  for (int i = 0; i < 100000; ++i) ++seen[dist->Pick(rng)];
  EXPECT_NEAR(seen[4096] / 1000.0, 70, 1);
  EXPECT_NEAR(seen[1 << 20] / 1000.0, 25, 1);
  EXPECT_NEAR(seen[64 << 20] / 1000.0, 5, 1);
  EXPECT_DOUBLE_EQ(dist->Mean(), 0.70 * 4096 + 0.25 * (1 << 20) + 0.05 * (64 << 20));
  EXPECT_EQ(dist->Max(), 64u << 20);
}

TEST(SizesTest, RejectsBadSizesAndWeights) {
  for (const char* bad : {"", "4XB", "4KiB:x", "4KiB:-1", "4KiB:0", "-4KiB"}) {
    EXPECT_FALSE(SizeDistribution::Parse(bad).ok()) << bad;
  }
}

TEST(SizesTest, ReplaysASampleOfObservedSizes) {
  EXPECT_FALSE(SizeDistribution::FromSample({}).ok());
  std::vector<uint64_t> sizes;
  for (int i = 0; i < 900; ++i) sizes.push_back(71);       // registry link files
  for (int i = 0; i < 100; ++i) sizes.push_back(1 << 20);  // layers
  auto d = SizeDistribution::FromSample(sizes);
  ASSERT_TRUE(d.ok());
  EXPECT_DOUBLE_EQ(d->Mean(), (900.0 * 71 + 100.0 * (1 << 20)) / 1000);
  std::mt19937_64 rng(5);
  int small = 0;
  for (int i = 0; i < 100000; ++i) small += d->Pick(rng) == 71;
  EXPECT_NEAR(small / 1000.0, 90, 1);
  // Subsampled evenly: the shares survive.
  auto few = SizeDistribution::FromSample(sizes, 100);
  ASSERT_TRUE(few.ok());
  EXPECT_EQ(few->entries().size(), 100u);
  EXPECT_NEAR(few->Mean(), d->Mean(), d->Mean() * 0.01);
}

TEST(SizesTest, Log2Classes) {
  auto h = Log2Histogram({10, 1024, 1025, 2048, 3000, 1 << 20});
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0], (std::pair<uint64_t, uint64_t>(1024, 2)));
  EXPECT_EQ(h[1], (std::pair<uint64_t, uint64_t>(2048, 2)));
  EXPECT_EQ(h[2], (std::pair<uint64_t, uint64_t>(4096, 1)));
  EXPECT_EQ(h[3], (std::pair<uint64_t, uint64_t>(1 << 20, 1)));
}

TEST(FlagsTest, ConcurrencyListsAndDurations) {
  auto sweep = ParseConcurrencyList("1,4,16,64");
  ASSERT_TRUE(sweep.ok());
  EXPECT_EQ(*sweep, (std::vector<int>{1, 4, 16, 64}));
  for (const char* bad : {"", "0", "a", "1,,2", "4x", "-3", "5000"}) {
    EXPECT_FALSE(ParseConcurrencyList(bad).ok()) << bad;
  }
  EXPECT_DOUBLE_EQ(*ParseSeconds("30s"), 30);
  EXPECT_DOUBLE_EQ(*ParseSeconds("2m"), 120);
  EXPECT_DOUBLE_EQ(*ParseSeconds("500ms"), 0.5);
  EXPECT_DOUBLE_EQ(*ParseSeconds("1h"), 3600);
  EXPECT_DOUBLE_EQ(*ParseSeconds("7"), 7);
  for (const char* bad : {"", "s", "5x", "-1s", "1.2.3s"})
    EXPECT_FALSE(ParseSeconds(bad).ok()) << bad;
}

TEST(ErrorsTest, ClassesAsAnOperatorReadsThem) {
  EXPECT_EQ(ClassifyError(404, Status::Ok()), ErrorClass::k4xx);
  EXPECT_EQ(ClassifyError(403, Status::Ok()), ErrorClass::k4xx);
  EXPECT_EQ(ClassifyError(503, Status::Ok()), ErrorClass::kSlowDown);
  EXPECT_EQ(ClassifyError(429, Status::Ok()), ErrorClass::kSlowDown);
  EXPECT_EQ(ClassifyError(500, Status::Ok()), ErrorClass::k5xx);
  EXPECT_EQ(ClassifyError(0, Status(StatusCode::kDeadlineExceeded, "t")), ErrorClass::kTimeout);
  EXPECT_EQ(ClassifyError(0, Unavailable("reset")), ErrorClass::kConnection);
  EXPECT_EQ(ClassifyError(200, Status::Ok()), ErrorClass::kOther);
}

PhaseResult Phase(int concurrency, uint64_t ops, uint64_t p99_us) {
  PhaseResult p;
  p.concurrency = concurrency;
  p.seconds = 10;
  p.ops[0].count = ops;
  p.ops[0].latency_us.Record(p99_us / 2, 98);
  p.ops[0].latency_us.Record(p99_us, 2);
  return p;
}

TEST(SaturationTest, FirstLevelAfterWhichThroughputStallsAndLatencyRises) {
  std::vector<PhaseResult> sweep = {Phase(1, 1000, 2000), Phase(4, 3800, 2200),
                                    Phase(16, 9000, 3000), Phase(64, 9500, 12000)};
  EXPECT_EQ(SaturationIndex(sweep), 2);
  // Still growing by 10% or more: not saturated.
  sweep[3] = Phase(64, 10000, 12000);
  EXPECT_EQ(SaturationIndex(sweep), -1);
  // Flat throughput with falling latency is not saturation either.
  sweep[3] = Phase(64, 9100, 2500);
  EXPECT_EQ(SaturationIndex(sweep), -1);
  EXPECT_EQ(SaturationIndex({}), -1);
}

}  // namespace
}  // namespace gwsync::loadgen
