// A download cut off by the gateway's failures keeps its partial file and resume
// record, whatever the object's size, and the next run fetches only the
// rest. FakeS3 stands in for the gateway; the counts are of the bytes it
// served.
#include <atomic>
#include <ctime>
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

// gwsync's own unfinished upload that no run has resumed for a week is
// aborted by the next complete run to its bucket, and its record dropped;
// a recent one is left to resume, and a record whose upload is gone
// already is dropped without a word.
TEST_F(PipelineTest, AnUploadAbandonedForAWeekIsAbortedByTheNextRun) {
  auto start = [&](const std::string& key) {
    auto id = s3::Wait<std::string>(
        [&](auto done) { client_.CreateMultipartUpload("b", key, {}, done); });
    EXPECT_TRUE(id.ok());
    return id.ok() ? *id : "";
  };
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const Location dst = Bucket("b", "backup/");
  index::UploadRecord old_upload{start("backup/old.tar"), 5 << 20, 20 << 20, 1, {}};
  old_upload.saved_at = now - 8 * 24 * 3600;
  index::UploadRecord recent{start("backup/recent.tar"), 5 << 20, 20 << 20, 1, {}};
  recent.saved_at = now - 3600;
  index::UploadRecord gone{"no-such-upload", 5 << 20, 20 << 20, 1, {}};
  gone.saved_at = now - 30 * 24 * 3600;
  index::UploadRecord elsewhere{start("other/old.tar"), 5 << 20, 20 << 20, 1, {}};
  elsewhere.saved_at = old_upload.saved_at;
  ASSERT_TRUE(index_->PutUpload(dst.remote_id, "b", "backup/old.tar", old_upload).ok());
  ASSERT_TRUE(index_->PutUpload(dst.remote_id, "b", "backup/recent.tar", recent).ok());
  ASSERT_TRUE(index_->PutUpload(dst.remote_id, "b", "backup/gone.tar", gone).ok());
  ASSERT_TRUE(index_->PutUpload(dst.remote_id, "b", "other/old.tar", elsewhere).ok());
  ASSERT_EQ(gateway_.UploadsInProgress("b"), 3u);

  const std::string src = Dir("src");
  WriteTree(src, {{"f", "x"}});
  SyncReport r = SyncOk(Local(src), dst);
  EXPECT_EQ(r.uploads_aborted, 1u);
  EXPECT_EQ(gateway_.UploadsInProgress("b"), 2u);  // recent.tar's, and the other prefix's
  EXPECT_FALSE(index_->GetUpload(dst.remote_id, "b", "backup/old.tar")->has_value());
  EXPECT_FALSE(index_->GetUpload(dst.remote_id, "b", "backup/gone.tar")->has_value());
  EXPECT_TRUE(index_->GetUpload(dst.remote_id, "b", "backup/recent.tar")->has_value());
  EXPECT_TRUE(index_->GetUpload(dst.remote_id, "b", "other/old.tar")->has_value());

  // An interrupted or dry run aborts nothing.
  index_->PutUpload(dst.remote_id, "b", "backup/old.tar", old_upload).IgnoreError();
  options_.dry_run = true;
  EXPECT_EQ(SyncOk(Local(src), dst).uploads_aborted, 0u);
  EXPECT_TRUE(index_->GetUpload(dst.remote_id, "b", "backup/old.tar")->has_value());
}

}  // namespace
}  // namespace gwsync::sync
