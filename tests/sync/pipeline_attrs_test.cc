// A download whose owner, mode or time cannot be set (through the
// FileSystem seam) keeps its content, says so in a notice naming the file,
// and is not recorded as in sync: the next run fetches it again and sets
// them, instead of trusting a file that is not as the object says.
#include "sync/pipeline_fixture.h"

namespace gwsync::sync {
namespace {

TEST_F(PipelineTest, AnAttributeThatCannotBeSetIsANoticeAndNotRecorded) {
  const std::map<std::string, std::string> attrs = {{"mode", "0640"}, {"mtime", "1600000000"}};
  PutTree("b", {{"mode", "m"}, {"time", "t"}, {"fine", "f"}}, attrs);
  auto with_owner = attrs;
  with_owner["uid"] = with_owner["gid"] = "12345";
  PutTree("b", {{"owner", "o"}}, with_owner);
  options_.restore_owner = true;
  fs_.before = [](FsOp op, const std::string& path) {
    if ((op == FsOp::kFchmod && path.ends_with("/mode")) ||
        (op == FsOp::kFutimens && path.ends_with("/time")) ||
        (op == FsOp::kFchown && path.ends_with("/owner"))) {
      return fileio::ErrnoStatus("cannot set an attribute of '" + path + "'", EPERM);
    }
    return Status::Ok();
  };
  const std::string dst = Dir("dst");

  SyncReport r = SyncOk(Bucket("b"), Local(dst));
  EXPECT_EQ(Count(r, "download"), 4u);
  EXPECT_EQ(ReadTree(dst), (Tree{{"fine", "f"}, {"mode", "m"}, {"owner", "o"}, {"time", "t"}}));
  EXPECT_EQ(r.notice_count, 3u) << Notices(r);
  for (const char* key : {"mode", "time", "owner"}) {
    EXPECT_NE(Notices(r).find(std::string(key) + ": cannot set an attribute of '" + dst + "/" +
                              key + "': Operation not permitted"),
              std::string::npos)
        << Notices(r);
    ASSERT_TRUE(Remembered(dst, key).has_value()) << key;
    EXPECT_TRUE(Remembered(dst, key)->attrs_pending) << key;
  }
  ASSERT_TRUE(Remembered(dst, "fine").has_value());
  EXPECT_FALSE(Remembered(dst, "fine")->attrs_pending);
  EXPECT_EQ(StatOf(dst + "/fine").st_mode & 07777, 0640u);
  EXPECT_EQ(StatOf(dst + "/mode").st_mode & 07777, 0600u);  // as created, not as asked

  // The next run does not take them as in sync: it fetches them again and
  // sets what it could not before; the one after finds everything in sync.
  fs_.before = nullptr;
  SyncReport again = SyncOk(Bucket("b"), Local(dst));
  EXPECT_EQ(Count(again, "skip: unchanged"), 1u);
  EXPECT_EQ(Count(again, "download"), 3u);
  EXPECT_EQ(StatOf(dst + "/mode").st_mode & 07777, 0640u);
  EXPECT_EQ(StatOf(dst + "/time").st_mtim.tv_sec, 1600000000);
  // Only root may give a file away: for anyone else the owner stays pending.
  const uint64_t settled = geteuid() == 0 ? 4 : 3;
  SyncReport third = SyncOk(Bucket("b"), Local(dst));
  EXPECT_EQ(Count(third, "skip: unchanged"), settled);
}

}  // namespace
}  // namespace gwsync::sync
