// A source file that changes while it is read (between the stat and the
// read, through the FileSystem seam) goes round again and is sent as it is
// now: grown past the whole-read size or shrunk; one replaced by another
// file is left to the next run.
// Each round starts clean; one that keeps changing fails, is not recorded,
// and stops --delete.
#include <atomic>

#include "sync/pipeline_fixture.h"

namespace gwsync::sync {
namespace {

class PipelineChangeTest : public PipelineTest {
 protected:
  // Runs `change` once on the file `name`, just after the sync's first
  // fstat of it: the sync has its size, and reads next.
  void ChangeAfterFirstStat(const std::string& name,
                            std::function<void(const std::string&)> change) {
    fs_.after = [this, name, change](FsOp op, const std::string& path) {
      if (op == FsOp::kFstat && path.ends_with("/" + name) && !changed_.exchange(true)) {
        change(path);
      }
    };
  }
  static void Append(const std::string& path, const std::string& data) {
    WriteFile(path, ReadFile(path) + data);
  }
  // The file as the bucket and the index must now have it.
  void ExpectSentAsItIs(const std::string& src, const std::string& key) {
    const std::string now = ReadFile(src + "/" + key);
    auto object = gateway_.GetObject("b", key);
    ASSERT_TRUE(object.has_value()) << key;
    EXPECT_EQ(object->data.size(), now.size()) << key;
    EXPECT_TRUE(object->data == now) << key;
    auto rec = Remembered(src, key);
    ASSERT_TRUE(rec.has_value()) << key;
    EXPECT_EQ(rec->size, now.size());
    EXPECT_EQ(rec->inode, StatOf(src + "/" + key).st_ino);
    EXPECT_EQ(rec->etag, object->etag);
  }

  std::atomic<bool> changed_{false};
};

TEST_F(PipelineChangeTest, AFileThatGrowsPastTheWholeReadSizeIsSentWhole) {
  const std::string src = Dir("src");
  WriteTree(src, {{"grows", RandomBytes(1000, 1)}, {"still", "s"}});
  ChangeAfterFirstStat("grows", [](const std::string& p) { Append(p, RandomBytes(100 << 10, 2)); });
  SyncReport r = SyncOk(Local(src), Bucket("b"));
  EXPECT_TRUE(changed_);
  EXPECT_EQ(Count(r, "upload"), 2u);  // a round again is not counted twice
  ExpectSentAsItIs(src, "grows");
}

TEST_F(PipelineChangeTest, AFileThatShrinksWhileReadIsSentAsItIsNow) {
  // Read whole by prepare, and hashed then streamed by the upload.
  for (const auto& [name, size] : {std::pair<std::string, size_t>{"small", 1000},
                                   std::pair<std::string, size_t>{"large", 200 << 10}}) {
    const std::string src = Dir(name);
    WriteTree(src, {{name, RandomBytes(size, 1)}});
    changed_ = false;
    ChangeAfterFirstStat(name, [](const std::string& p) {
      std::string data = ReadFile(p);
      WriteFile(p, data.substr(0, data.size() / 2));
    });
    SyncOk(Local(src), Bucket("b"));
    EXPECT_TRUE(changed_) << name;
    ExpectSentAsItIs(src, name);
  }
}

// Another file is not the one listed: the round again leaves it, with a
// notice, to the next run, which sends it.
TEST_F(PipelineChangeTest, AFileReplacedWhileReadIsLeftToTheNextRun) {
  const std::string src = Dir("src");
  WriteTree(src, {{"replaced", "the old file"}});
  const ino_t old_inode = StatOf(src + "/replaced").st_ino;
  ChangeAfterFirstStat("replaced", [](const std::string& p) {
    WriteFile(p + ".new", "the new file, longer than the old one");
    ASSERT_EQ(rename((p + ".new").c_str(), p.c_str()), 0);
  });
  SyncReport r = SyncOk(Local(src), Bucket("b"));
  EXPECT_TRUE(changed_);
  EXPECT_NE(StatOf(src + "/replaced").st_ino, old_inode);
  EXPECT_EQ(Count(r, "skip: replaced since listed"), 1u);
  EXPECT_NE(Notices(r).find("replaced: '" + src +
                            "/replaced': replaced by another file since it was listed"),
            std::string::npos)
      << Notices(r);
  EXPECT_FALSE(Remembered(src, "replaced").has_value());
  SyncOk(Local(src), Bucket("b"));
  ExpectSentAsItIs(src, "replaced");
}

TEST_F(PipelineChangeTest, AFileThatKeepsChangingFailsIsNotRecordedAndStopsDeletes) {
  const std::string src = Dir("src");
  WriteTree(src, {{"log", "line\n"}, {"calm", "c"}});
  gateway_.PutObject("b", "stale", "s");
  std::atomic<int> rounds{0};
  fs_.after = [&](FsOp op, const std::string& path) {
    if (op == FsOp::kFstat && path.ends_with("/log")) {
      ++rounds;
      Append(path, "another line\n");
    }
  };
  options_.delete_extra = true;
  SyncReport r = Sync(Local(src), Bucket("b"));
  EXPECT_EQ(rounds, 3);
  EXPECT_NE(Errors(r).find("log: '" + src + "/log' changed while it was read"), std::string::npos)
      << Errors(r);
  EXPECT_FALSE(Remembered(src, "log").has_value());
  EXPECT_TRUE(Remembered(src, "calm").has_value());
  EXPECT_EQ(r.deletes_refused, 1u);
  EXPECT_TRUE(gateway_.GetObject("b", "stale").has_value());

  // Quiet again, the next run sends it.
  fs_.after = nullptr;
  SyncOk(Local(src), Bucket("b"));
  ExpectSentAsItIs(src, "log");
}

}  // namespace
}  // namespace gwsync::sync
