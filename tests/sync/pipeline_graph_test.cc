// The pipeline's flow graph finishes at its boundaries: no job, one job,
// as many jobs as --concurrency lets run at once, one more, and several
// rounds of credits, for a concurrency of 1 (a credit back per commit), 2
// and 16 (credits back two at a time). Each run uploads, deletes and
// downloads; a file of 64 KiB or more is prepared on the CPU pool, a
// smaller one on the planning thread, so both ways into the transfers are
// taken. What is checked is what a user sees: the objects, the files and
// the report's counts.
#include <atomic>
#include <string>
#include <tuple>

#include "pipeline_fixture.h"

namespace gwsync::sync {
namespace {

class PipelineGraphTest : public PipelineTest,
                          public ::testing::WithParamInterface<std::tuple<int, int>> {
 protected:
  int concurrency() const { return std::get<0>(GetParam()); }
  // The number of jobs, from the concurrency: 0, 1, c, c + 1, 3c + 1.
  int jobs() const {
    const int c = concurrency();
    switch (std::get<1>(GetParam())) {
      case 0:
        return 0;
      case 1:
        return 1;
      case 2:
        return c;
      case 3:
        return c + 1;
      default:
        return 3 * c + 1;
    }
  }
  // n files, every third one 64 KiB or more.
  static Tree Files(int n, const std::string& prefix) {
    Tree t;
    for (int i = 0; i < n; ++i) {
      const size_t size = i % 3 == 2 ? (64 << 10) + i : 100 + i;
      t[prefix + std::to_string(i)] = RandomBytes(size, i);
    }
    return t;
  }
};

TEST_P(PipelineGraphTest, EveryJobOfEachPhaseIsDoneAndTheRunEnds) {
  options_.concurrency = concurrency();
  const int n = jobs();
  const Tree files = Files(n, "f/");
  const Tree extra = Files(n, "old/");
  PutTree("b", extra);
  const std::string src = Dir("src");
  fs::create_directories(src);
  WriteTree(src, files);
  options_.delete_extra = true;
  options_.force_delete = true;

  SyncReport up = SyncOk(Local(src), Bucket("b"));
  EXPECT_FALSE(up.interrupted);
  EXPECT_EQ(Count(up, "upload"), static_cast<uint64_t>(n));
  EXPECT_EQ(Count(up, "delete"), static_cast<uint64_t>(n));
  Tree in_bucket;
  for (const auto& [key, data] : gateway_.Contents("b")) in_bucket[key] = data;
  EXPECT_EQ(in_bucket, files);

  options_.delete_extra = false;
  const std::string dst = Dir("dst");
  SyncReport down = SyncOk(Bucket("b"), Local(dst));
  EXPECT_EQ(Count(down, "download"), static_cast<uint64_t>(n));
  EXPECT_EQ(ReadTree(dst), files);
}

INSTANTIATE_TEST_SUITE_P(Boundaries, PipelineGraphTest,
                         ::testing::Combine(::testing::Values(1, 2, 16),
                                            ::testing::Values(0, 1, 2, 3, 4)));

// A run stopped while jobs are in flight and the planner holds the next:
// what was started ends and is committed, nothing more starts, and the run
// returns, interrupted.
TEST_F(PipelineTest, AStopWhileJobsAreInFlightStartsNothingMore) {
  const std::string src = Dir("src");
  Tree files;
  for (int i = 0; i < 40; ++i) files["k" + std::to_string(i)] = RandomBytes(100, i);
  WriteTree(src, files);
  gateway_.set_latency(std::chrono::milliseconds(20));
  options_.concurrency = 4;
  std::atomic<bool> stop{false};
  options_.stop = &stop;
  options_.on_progress = [&stop](const SyncProgress& p) {
    if (p.done_objects >= 1) stop = true;
  };
  SyncReport r = Sync(Local(src), Bucket("b"));
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.error_count, 0u) << Errors(r);
  const uint64_t uploaded = Count(r, "upload");
  EXPECT_GE(uploaded, 1u);
  EXPECT_LT(uploaded, 40u);
  // Each object that is there is whole, and the report counts each one.
  auto contents = gateway_.Contents("b");
  EXPECT_EQ(contents.size(), uploaded);
  for (const auto& [key, data] : contents) EXPECT_EQ(data, files[key]) << key;
}

}  // namespace
}  // namespace gwsync::sync
