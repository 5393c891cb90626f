// Source files are read beneath their root and only while they are the
// files the walk listed: a folder swapped for a link after the walk (the
// link leads to files the user must not get uploaded), a file swapped for a
// FIFO (which would block an open for ever), a link or another file. Each
// is skipped with a notice naming it, and nothing of what it leads to is
// sent. With openat2 and with the walk of folder handles older kernels get.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "fileio/beneath.h"
#include "sync/pipeline_fixture.h"

namespace gwsync::sync {
namespace {

class PipelineSourceTest : public PipelineTest,
                           public ::testing::WithParamInterface<fileio::Resolver> {
 protected:
  PipelineSourceTest() { fileio::ForceResolverForTesting(GetParam()); }
  ~PipelineSourceTest() override { fileio::ForceResolverForTesting(std::nullopt); }

  // Runs `swap` once, just before the sync opens `key` under `src`: the
  // walk has listed it, the read has not begun.
  void BeforeOpening(const std::string& src, const std::string& key,
                     const std::function<void()>& swap) {
    fs_.before = [this, path = src + "/" + key, swap](FsOp op, const std::string& p) {
      if (op == FsOp::kOpen && p == path && !swapped_.exchange(true)) swap();
      return Status::Ok();
    };
  }
  std::string NoticeOf(const SyncReport& r, const std::string& key) {
    for (const auto& [k, why] : r.notices) {
      if (k == key) return why;
    }
    return "";
  }

  std::atomic<bool> swapped_{false};
};

TEST_P(PipelineSourceTest, AFolderSwappedForALinkIsNotReadThrough) {
  const std::string src = Dir("src"), secret = Dir("secret");
  WriteTree(src, {{"a", "a"}, {"sub/x", "mine"}, {"sub/y", "mine too"}});
  WriteTree(secret, {{"x", "root's secret"}, {"y", "another secret"}});
  BeforeOpening(src, "sub/x", [&] {
    fs::rename(src + "/sub", src + "/sub.real");
    fs::create_directory_symlink(secret, src + "/sub");
  });
  SyncReport r = SyncOk(Local(src), Bucket("b"));
  ASSERT_TRUE(swapped_);
  EXPECT_EQ(gateway_.Contents("b"), (Tree{{"a", "a"}}));  // no secret, under any name
  EXPECT_EQ(Count(r, "skip: replaced since listed"), 2u);
  for (const char* key : {"sub/x", "sub/y"}) {
    EXPECT_EQ(NoticeOf(r, "s3://b/" + std::string(key)),
              "'" + src + "/" + key +
                  "': a symbolic link on its way, not read through it (changed "
                  "since it was listed)")
        << Notices(r);
    EXPECT_FALSE(Remembered(src, key).has_value()) << key;
  }
}

TEST_P(PipelineSourceTest, AFileSwappedForAFifoIsSkippedWithoutBlocking) {
  const std::string src = Dir("src");
  WriteTree(src, {{"fifo", "was a file"}, {"z", "z"}});
  const std::string fifo = src + "/fifo";
  BeforeOpening(src, "fifo", [&] {
    fs::remove(fifo);
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  });
  // Were the open to wait for a writer, this gives it one after 10 s, so
  // the test fails instead of hanging.
  std::atomic<bool> done{false}, rescued{false};
  std::thread watchdog([&] {
    for (int i = 0; i < 100 && !done; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (done) return;
    int fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) {
      rescued = true;
      close(fd);
    }
  });
  SyncReport r = SyncOk(Local(src), Bucket("b"));
  done = true;
  watchdog.join();
  EXPECT_FALSE(rescued) << "the sync blocked on the FIFO";
  EXPECT_EQ(gateway_.Contents("b"), (Tree{{"z", "z"}}));
  EXPECT_EQ(NoticeOf(r, "s3://b/fifo"),
            "'" + fifo + "': now a FIFO (changed since it was listed), not read")
      << Notices(r);
}

TEST_P(PipelineSourceTest, AFileSwappedForALinkIsNotReadThrough) {
  const std::string src = Dir("src"), secret = Dir("secret");
  WriteTree(src, {{"f", "mine"}});
  WriteTree(secret, {{"s", "root's secret"}});
  BeforeOpening(src, "f", [&] {
    fs::remove(src + "/f");
    fs::create_symlink(secret + "/s", src + "/f");
  });
  SyncReport r = SyncOk(Local(src), Bucket("b"));
  EXPECT_EQ(gateway_.Contents("b"), Tree{});
  EXPECT_NE(NoticeOf(r, "s3://b/f").find("a symbolic link on its way"), std::string::npos)
      << Notices(r);
}

// A folder moved away after the walk (the first half of `mv sub sub.real;
// ln -s SECRET sub`): its files are gone, skipped with a notice, no error.
TEST_P(PipelineSourceTest, AFolderMovedAwaySinceTheWalkIsSkipped) {
  const std::string src = Dir("src");
  WriteTree(src, {{"a", "a"}, {"sub/x", "mine"}});
  BeforeOpening(src, "sub/x", [&] { fs::rename(src + "/sub", src + "/sub.real"); });
  SyncReport r = SyncOk(Local(src), Bucket("b"));
  EXPECT_EQ(gateway_.Contents("b"), (Tree{{"a", "a"}}));
  EXPECT_EQ(r.error_count, 0u) << Errors(r);
  EXPECT_NE(NoticeOf(r, "s3://b/sub/x").find("gone since it was listed"), std::string::npos)
      << Notices(r);
}

// An editor's save (a new file renamed over the old) after the walk: not
// the file listed, so not read now; the next run lists and sends it.
TEST_P(PipelineSourceTest, AFileReplacedSinceTheWalkIsLeftToTheNextRun) {
  const std::string src = Dir("src");
  WriteTree(src, {{"doc", "old"}});
  BeforeOpening(src, "doc", [&] {
    WriteFile(src + "/doc.new", "new");
    fs::rename(src + "/doc.new", src + "/doc");
  });
  SyncReport r = SyncOk(Local(src), Bucket("b"));
  EXPECT_EQ(gateway_.Contents("b"), Tree{});
  EXPECT_NE(NoticeOf(r, "s3://b/doc").find("replaced by another file since it was listed"),
            std::string::npos)
      << Notices(r);
  EXPECT_EQ(r.notice_count, 1u);
  fs_.before = nullptr;
  SyncOk(Local(src), Bucket("b"));
  EXPECT_EQ(gateway_.Contents("b"), (Tree{{"doc", "new"}}));
}

// --copy-links follows links by design, folders and files alike.
TEST_P(PipelineSourceTest, CopyLinksStillFollowsLinks) {
  const std::string src = Dir("src"), elsewhere = Dir("elsewhere");
  WriteTree(src, {{"a", "a"}});
  WriteTree(elsewhere, {{"x", "linked"}});
  fs::create_directory_symlink(elsewhere, src + "/dir");
  fs::create_symlink(elsewhere + "/x", src + "/file");
  options_.copy_links = true;
  SyncOk(Local(src), Bucket("b"));
  EXPECT_EQ(gateway_.Contents("b"), (Tree{{"a", "a"}, {"dir/x", "linked"}, {"file", "linked"}}));
}

// --links stores a link's target; one whose folder became a link since the
// walk is not read through it.
TEST_P(PipelineSourceTest, StoredLinksAreReadBeneathTheRoot) {
  const std::string src = Dir("src"), secret = Dir("secret");
  fs::create_directories(src + "/sub");
  fs::create_symlink("target-of-mine", src + "/sub/l");
  fs::create_directories(secret);
  fs::create_symlink("/root/secret-target", secret + "/l");
  options_.store_links = true;
  fs_.before = [&](FsOp op, const std::string& p) {
    if (op == FsOp::kReadLink && p == src + "/sub/l" && !swapped_.exchange(true)) {
      fs::rename(src + "/sub", src + "/sub.real");
      fs::create_directory_symlink(secret, src + "/sub");
    }
    return Status::Ok();
  };
  SyncReport r = SyncOk(Local(src), Bucket("b"));
  ASSERT_TRUE(swapped_);
  EXPECT_EQ(gateway_.Contents("b"), Tree{});
  EXPECT_NE(NoticeOf(r, "s3://b/sub/l.rclonelink").find("a symbolic link on its way"),
            std::string::npos)
      << Notices(r);
}

INSTANTIATE_TEST_SUITE_P(Resolvers, PipelineSourceTest,
                         ::testing::Values(fileio::Resolver::kOpenat2, fileio::Resolver::kWalk),
                         [](const auto& info) {
                           return info.param == fileio::Resolver::kOpenat2 ? "Openat2" : "Walk";
                         });

}  // namespace
}  // namespace gwsync::sync
