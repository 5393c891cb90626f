// A download cut off by the gateway's failures keeps its partial file and resume
// record, whatever the object's size, and the next run fetches only the
// rest. FakeS3 stands in for the gateway; the counts are of the bytes it
// served.
#include <atomic>
#include <string_view>

#include "sync/pipeline_fixture.h"

namespace gwsync::sync {
namespace {

// The bytes a ranged GET asks for ("bytes=A-B"), or 0.
uint64_t RangeBytes(std::string_view range) {
  if (!range.starts_with("bytes=")) return 0;
  range.remove_prefix(6);
  const size_t dash = range.find('-');
  if (dash == std::string_view::npos) return 0;
  const uint64_t first = std::stoull(std::string(range.substr(0, dash)));
  const uint64_t last = std::stoull(std::string(range.substr(dash + 1)));
  return last - first + 1;
}

// 300 ranges (of 64 KiB, to keep the test quick): more than the 256 an
// older record could hold.
TEST_F(PipelineTest, ADownloadOfThreeHundredRangesCutOffResumesWhereItStopped) {
  constexpr uint64_t kRange = 64 << 10, kSize = 300 * kRange;
  options_.transfer.part_size = kRange;
  options_.transfer.multipart_threshold = kRange;
  gateway_.PutObject("b", "big.bin", RandomBytes(kSize, 7));
  std::atomic<int> gets{0};
  std::atomic<bool> cut{false};
  std::atomic<uint64_t> asked{0};
  gateway_.OnRequest([&](const testing::S3Call& call) {
    if (call.op != "GetObject") return;
    asked += RangeBytes(call.Header("range"));
    if (++gets == 150) cut = true;  // the gateway fails from half on
  });
  gateway_.Fail([&](const testing::S3Call& call) { return call.op == "GetObject" && cut; },
                {500, "InternalError", Status::Ok(), -1});
  const std::string dst = Dir("dst");

  SyncReport first = Sync(Bucket("b"), Local(dst));
  ASSERT_EQ(first.error_count, 1u);
  EXPECT_FALSE(fs::exists(dst + "/big.bin"));

  cut = false;
  gateway_.OnRequest([&](const testing::S3Call& call) {
    if (call.op == "GetObject") asked += RangeBytes(call.Header("range"));
  });
  asked = 0;
  SyncReport second = SyncOk(Bucket("b"), Local(dst));
  EXPECT_EQ(Count(second, "download"), 1u);
  EXPECT_EQ(ReadFile(dst + "/big.bin"), gateway_.GetObject("b", "big.bin")->data);
  EXPECT_LT(asked.load(), kSize * 6 / 10)
      << "the rerun fetched " << asked / kRange << " ranges of 300";
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dst)) left.push_back(e.path().filename());
  EXPECT_EQ(left, std::vector<std::string>{"big.bin"});
}

}  // namespace
}  // namespace gwsync::sync
