// The index remembers exactly what is in sync: every file that went up or
// came down as it is now, and nothing that failed (a refused upload, a
// damaged download, a rename that found the disk full), so the next run
// does it again. A dry run changes nothing anywhere.
#include "sync/pipeline_fixture.h"

namespace gwsync::sync {
namespace {

TEST_F(PipelineTest, UploadsAreRememberedAsTheyAreAndFailuresAreNot) {
  const std::string src = Dir("src");
  WriteTree(src, {{"good", "fine"}, {"bad", "refused"}});
  gateway_.Fail(FakeS3::OpKey("PutObject", "bad"), {403, "AccessDenied", Status::Ok(), 1});

  SyncReport r = Sync(Local(src), Bucket("b"));
  EXPECT_EQ(r.error_count, 1u);
  EXPECT_NE(Errors(r).find("bad: "), std::string::npos) << Errors(r);
  auto good = Remembered(src, "good");
  ASSERT_TRUE(good.has_value());
  struct stat st = StatOf(src + "/good");
  EXPECT_EQ(good->size, 4u);
  EXPECT_EQ(good->inode, st.st_ino);
  EXPECT_EQ(good->mtime_ns, st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec);
  EXPECT_EQ(good->etag, gateway_.GetObject("b", "good")->etag);
  EXPECT_FALSE(Remembered(src, "bad").has_value());

  SyncReport again = SyncOk(Local(src), Bucket("b"));
  EXPECT_EQ(Count(again, "skip: unchanged"), 1u);
  EXPECT_EQ(Count(again, "upload"), 1u);
  EXPECT_EQ(gateway_.GetObject("b", "bad")->data, "refused");
  EXPECT_TRUE(Remembered(src, "bad").has_value());
}

TEST_F(PipelineTest, DownloadsAreRememberedAndADamagedOneNeverLands) {
  PutTree("b", {{"good", "fine"}, {"damaged", "0123456789"}, {"refused", "r"}}, {{"mode", "0600"}});
  gateway_.CorruptGets(FakeS3::OpKey("GetObject", "damaged"));
  gateway_.Fail(FakeS3::OpKey("GetObject", "refused"), {403, "AccessDenied", Status::Ok(), -1});
  const std::string dst = Dir("dst");

  SyncReport r = Sync(Bucket("b"), Local(dst));
  EXPECT_EQ(r.error_count, 2u) << Errors(r);
  EXPECT_NE(Errors(r).find("damaged: "), std::string::npos) << Errors(r);
  EXPECT_EQ(ReadTree(dst), (Tree{{"good", "fine"}}));  // and no temporary file
  auto good = Remembered(dst, "good");
  ASSERT_TRUE(good.has_value());
  struct stat st = StatOf(dst + "/good");
  EXPECT_EQ(good->inode, st.st_ino);
  EXPECT_EQ(good->mode, 0600u);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(good->etag, gateway_.GetObject("b", "good")->etag);
  EXPECT_FALSE(Remembered(dst, "damaged").has_value());
  EXPECT_FALSE(Remembered(dst, "refused").has_value());
}

TEST_F(PipelineTest, ARenameThatFindsTheDiskFullLeavesNoFileAndNoRecord) {
  PutTree("b", {{"a", "1"}, {"full", "2"}});
  fs_.before = [](FsOp op, const std::string& path) {
    if (op == FsOp::kCommit && path.ends_with("/full")) {
      return fileio::ErrnoStatus("cannot rename into '" + path + "'", ENOSPC);
    }
    return Status::Ok();
  };
  const std::string dst = Dir("dst");
  SyncReport r = Sync(Bucket("b"), Local(dst));
  EXPECT_EQ(r.error_count, 1u);
  EXPECT_NE(Errors(r).find("full: "), std::string::npos) << Errors(r);
  EXPECT_NE(Errors(r).find("No space left on device"), std::string::npos) << Errors(r);
  EXPECT_EQ(ReadTree(dst), (Tree{{"a", "1"}}));  // and no temporary file
  EXPECT_FALSE(Remembered(dst, "full").has_value());
  EXPECT_TRUE(Remembered(dst, "a").has_value());
}

TEST_F(PipelineTest, ADryRunChangesNothingAnywhere) {
  const std::string src = Dir("src"), dst = Dir("dst");
  WriteTree(src, {{"keep", "1"}, {"new", "2"}});
  PutTree("b", {{"keep", "1"}, {"extra", "3"}});
  options_.delete_extra = true;
  options_.dry_run = true;
  std::vector<std::string> planned;
  options_.on_plan = [&](const plan::Action& a) {
    planned.push_back(std::string(plan::ActionName(a.kind)) + " " + a.key);
  };

  SyncReport up = SyncOk(Local(src), Bucket("b"));
  EXPECT_EQ(planned, (std::vector<std::string>{"upload new", "delete extra"}));
  EXPECT_EQ(Count(up, "upload"), 1u);
  EXPECT_EQ(Count(up, "delete"), 1u);
  planned.clear();
  SyncOk(Bucket("b"), Local(dst));
  EXPECT_EQ(planned, (std::vector<std::string>{"download extra", "download keep"}));

  EXPECT_EQ(gateway_.Contents("b"), (Tree{{"extra", "3"}, {"keep", "1"}}));
  for (const char* method : {"PUT", "POST", "DELETE"}) {
    EXPECT_EQ(gateway_.CountMethod(method), 0) << method;
  }
  EXPECT_EQ(gateway_.CountOp("GetObject"), 0);
  EXPECT_FALSE(fs::exists(dst));
  EXPECT_FALSE(Remembered(src, "keep").has_value());
  EXPECT_FALSE(Remembered(src, "new").has_value());
}

}  // namespace
}  // namespace gwsync::sync
