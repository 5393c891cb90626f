// RunSync end to end without a network: both directions byte-exact with
// modes and times, multipart objects, the run after that moves nothing,
// and bucket to bucket within a cluster (server-side) and across two; the
// progress it reports.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "sync/pipeline_fixture.h"

namespace gwsync::sync {
namespace {

Tree SampleTree() {
  return {{"a-b", "dash"},
          {"a/b", "slash"},
          {"a/c/deep/file.txt", RandomBytes(3000, 1)},
          {"a0", "zero"},
          {"empty", ""},
          {"sp ace/\xc3\xbc+plus", "u"},
          {"mid.bin", RandomBytes(100 << 10, 2)}};  // above the whole-read size
}

TEST_F(PipelineTest, UploadThenDownloadIsByteExactWithModeAndTime) {
  const std::string src = Dir("src"), dst = Dir("dst");
  Tree tree = SampleTree();
  tree["big.bin"] = RandomBytes(11 << 20, 3);  // multipart: 5 MiB parts
  WriteTree(src, tree);
  const std::string f = src + "/a/c/deep/file.txt";
  ASSERT_EQ(chmod(f.c_str(), 0640), 0);
  struct timespec times[2] = {{0, UTIME_OMIT}, {1600000000, 123456789}};
  ASSERT_EQ(utimensat(AT_FDCWD, f.c_str(), times, 0), 0);

  SyncReport up = SyncOk(Local(src), Bucket("b", "backup/"));
  EXPECT_EQ(Count(up, "upload"), tree.size());
  EXPECT_EQ(gateway_.Contents("b", "backup/"), tree);
  EXPECT_TRUE(gateway_.GetObject("b", "backup/big.bin")->etag.ends_with("-3"));
  EXPECT_EQ(up.source_objects, tree.size());

  SyncReport down = SyncOk(Bucket("b", "backup/"), Local(dst));
  EXPECT_EQ(Count(down, "download"), tree.size());
  EXPECT_EQ(ReadTree(dst), tree);
  struct stat st = StatOf(dst + "/a/c/deep/file.txt");
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 123456789);
}

TEST_F(PipelineTest, TheRunAfterMovesNothingAndAChangedFileAlone) {
  const std::string src = Dir("src"), dst = Dir("dst");
  WriteTree(src, SampleTree());
  SyncOk(Local(src), Bucket("b"));
  SyncOk(Bucket("b"), Local(dst));

  gateway_.ResetCounts();
  SyncReport up = SyncOk(Local(src), Bucket("b"));
  SyncReport down = SyncOk(Bucket("b"), Local(dst));
  EXPECT_EQ(Count(up, "skip: unchanged"), SampleTree().size());
  EXPECT_EQ(Count(down, "skip: unchanged"), SampleTree().size());
  EXPECT_EQ(gateway_.CountMethod("PUT") + gateway_.CountOp("GetObject") +
                gateway_.CountOp("HeadObject") + gateway_.CountMethod("POST"),
            0);

  WriteFile(src + "/a/b", "changed, and longer");
  gateway_.ResetCounts();
  SyncReport again = SyncOk(Local(src), Bucket("b"));
  EXPECT_EQ(Count(again, "upload"), 1u);
  EXPECT_EQ(gateway_.CountOp("PutObject"), 1);
  EXPECT_EQ(gateway_.GetObject("b", "a/b")->data, "changed, and longer");
}

TEST_F(PipelineTest, WithoutTheIndexEqualContentIsReadNotSent) {
  const std::string src = Dir("src");
  WriteTree(src, SampleTree());
  SyncOk(Local(src), Bucket("b"));
  options_.index = nullptr;
  gateway_.ResetCounts();
  SyncReport r = SyncOk(Local(src), Bucket("b"));
  EXPECT_EQ(Count(r, "skip: same content"), SampleTree().size());
  EXPECT_EQ(gateway_.CountMethod("PUT"), 0);
}

TEST_F(PipelineTest, BucketToBucketCopiesServerSideWithinAClusterAndStreamsAcross) {
  PutTree("b", {{"x/1", "one"}, {"x/2", RandomBytes(70 << 10, 4)}});
  gateway_.PutMultipartObject("b", "x/3", {RandomBytes(5 << 20, 5), "tail"});
  const Tree want = gateway_.Contents("b", "x/");

  gateway_.ResetCounts();
  SyncReport same = SyncOk(Bucket("b", "x/"), Bucket("copy"));
  EXPECT_EQ(Count(same, "copy"), 3u);
  EXPECT_EQ(gateway_.Contents("copy"), want);
  EXPECT_EQ(gateway_.CountOp("GetObject"), 0);
  EXPECT_EQ(gateway_.GetObject("copy", "3")->etag, gateway_.GetObject("b", "x/3")->etag);

  FakeS3 other;
  s3::Client other_client(&other, FakeS3::ClientOptions("http://other:9000", "other-key"));
  Location dst = Bucket("restored");
  dst.client = &other_client;
  dst.remote_id = "http://other:9000 other-key";
  SyncReport across = SyncOk(Bucket("b", "x/"), dst);
  EXPECT_EQ(Count(across, "copy"), 3u);
  EXPECT_EQ(other.Contents("restored"), want);
  EXPECT_EQ(Count(SyncOk(Bucket("b", "x/"), dst), "skip: unchanged"), 3u);
  other.Stop();
}

// The totals are final once every key is planned, while the last transfers
// still run: the progress line can give an ETA before the end.
TEST_F(PipelineTest, ProgressKnowsTheTotalsBeforeTheLastObjectIsDone) {
  Tree tree;
  for (int i = 0; i < 10; ++i) tree["k" + std::to_string(i)] = RandomBytes(1000, i);
  PutTree("b", tree);
  gateway_.set_latency(std::chrono::milliseconds(50));  // each GET outlasts the planning
  options_.concurrency = 2;
  std::vector<SyncProgress> seen;
  options_.on_progress = [&seen](const SyncProgress& p) { seen.push_back(p); };
  SyncOk(Bucket("b"), Local(Dir("dst")));

  auto final_totals_early = std::find_if(seen.begin(), seen.end(), [](const SyncProgress& p) {
    return p.listing_done && p.done_objects < p.planned_objects;
  });
  ASSERT_NE(final_totals_early, seen.end());
  EXPECT_EQ(final_totals_early->planned_objects, 10u);
  EXPECT_EQ(final_totals_early->planned_bytes, 10'000u);
  ASSERT_FALSE(seen.empty());
  EXPECT_TRUE(seen.back().listing_done);
  EXPECT_EQ(seen.back().done_objects, 10u);
}

// The report names what went wrong as a user names it: an object by its key
// in the bucket it is in (with the remote's name when there is one), a file
// the walk would not sync and a delete that failed by their local paths.
TEST_F(PipelineTest, TheReportNamesKeysAsAUserWould) {
  PutTree("b", {{"in/a", "a"}, {"in/bad", "b"}});
  gateway_.Fail(FakeS3::OpKey("GetObject", "in/bad"), {403, "AccessDenied", Status::Ok(), 1});
  const std::string dst = Dir("dst");
  WriteTree(dst, {{"stale", "s"}});
  fs_.before = [](FsOp op, const std::string& path) {
    return op == FsOp::kRemove && path.ends_with("/stale")
               ? fileio::ErrnoStatus("cannot remove '" + path + "'", EACCES)
               : Status::Ok();
  };
  Location from = Bucket("b", "in/");
  from.remote_name = "backup";
  SyncReport down = Sync(from, Local(dst));
  ASSERT_EQ(down.errors.size(), 1u) << Errors(down);
  EXPECT_EQ(down.errors[0].first, "backup:b/in/bad");
  options_.delete_extra = true;  // the GET fails once: now the delete does
  SyncReport del = Sync(Bucket("b", "in/"), Local(dst));
  ASSERT_EQ(del.errors.size(), 1u) << Errors(del);
  EXPECT_EQ(del.errors[0].first, dst + "/stale");

  const std::string src = Dir("src");
  WriteTree(src, {{"up", "u"}});
  ASSERT_EQ(mkfifo((src + "/fifo").c_str(), 0600), 0);
  gateway_.Fail(FakeS3::OpKey("PutObject", "out/up"), {403, "AccessDenied", Status::Ok(), -1});
  SyncReport up = Sync(Local(src), Bucket("b", "out/"));
  ASSERT_EQ(up.errors.size(), 1u) << Errors(up);
  EXPECT_EQ(up.errors[0].first, "s3://b/out/up");
  ASSERT_EQ(up.notices.size(), 1u) << Notices(up);
  EXPECT_EQ(up.notices[0].first, src + "/fifo");
}

}  // namespace
}  // namespace gwsync::sync
