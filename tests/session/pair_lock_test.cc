// One run per pair: a second holder of a pair's lock is refused at once (or
// after its wait) with the first's pid, gets the lock as soon as the first
// lets go, and a holder that dies lets go with it. Different pairs, and the
// shares of one, never wait on each other.
#include "session/pair_lock.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

namespace gwsync::session {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class PairLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("gwsync-pair-lock-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    options_.dir = (root_ / "locks").string();
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  StatusOr<std::unique_ptr<PairLock>> Take(milliseconds wait = milliseconds(0),
                                           const std::atomic<bool>* stop = nullptr) {
    LockOptions o = options_;
    o.wait = wait;
    return PairLock::Acquire(o, "pair.lock", "s3://b -> /backup/b", stop);
  }

  std::filesystem::path root_;
  LockOptions options_;
};

TEST_F(PairLockTest, ASecondHolderIsRefusedAtOnceNamingThePairAndThePid) {
  auto first = Take();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto start = Clock::now();
  auto second = Take();
  EXPECT_LT(Clock::now() - start, milliseconds(500));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kAborted);
  EXPECT_EQ(second.status().message(), "another gwsync (pid " + std::to_string(getpid()) +
                                           ") is syncing s3://b -> /backup/b; --wait-lock "
                                           "SECONDS waits for it");
  first->reset();
  EXPECT_TRUE(Take().ok());
}

TEST_F(PairLockTest, PrivateFolderAndFile) {
  auto held = Take();
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  struct stat st {};
  ASSERT_EQ(stat(options_.dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat((options_.dir + "/pair.lock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(PairLockTest, AWaitEndsWhenTheHolderLetsGo) {
  auto first = Take();
  ASSERT_TRUE(first.ok());
  std::thread release([&] {
    std::this_thread::sleep_for(milliseconds(300));
    first->reset();
  });
  auto start = Clock::now();
  auto second = Take(milliseconds(10000));
  auto waited = Clock::now() - start;
  release.join();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_GE(waited, milliseconds(250));
  EXPECT_LT(waited, milliseconds(5000));
}

TEST_F(PairLockTest, AWaitThatRunsOutIsRefused) {
  auto first = Take();
  ASSERT_TRUE(first.ok());
  auto start = Clock::now();
  auto second = Take(milliseconds(1000));
  auto waited = Clock::now() - start;
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kAborted);
  EXPECT_NE(second.status().message().find("is still syncing s3://b -> /backup/b after 1 s"),
            std::string::npos)
      << second.status().message();
  EXPECT_GE(waited, milliseconds(1000));
  EXPECT_LT(waited, milliseconds(3000));
}

TEST_F(PairLockTest, AStopEndsAWait) {
  auto first = Take();
  ASSERT_TRUE(first.ok());
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(200));
    stop = true;
  });
  auto start = Clock::now();
  auto second = Take(milliseconds(60000), &stop);
  stopper.join();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kAborted);
  EXPECT_LT(Clock::now() - start, milliseconds(5000));
}

TEST_F(PairLockTest, AHolderThatDiesLetsGo) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto held = Take();
    char c = held.ok() ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    pause();
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  auto refused = Take();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("(pid " + std::to_string(child) + ")"),
            std::string::npos)
      << refused.status().message();
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(ready[0]);
  close(ready[1]);
  EXPECT_TRUE(Take().ok());  // no stale lock
}

TEST_F(PairLockTest, ALinkIsNotFollowed) {
  std::filesystem::create_directories(root_ / "elsewhere");
  std::filesystem::create_directory_symlink(root_ / "elsewhere", options_.dir);
  auto via_dir = Take();
  EXPECT_FALSE(via_dir.ok());
  EXPECT_NE(via_dir.status().code(), StatusCode::kAborted);
  std::filesystem::remove(options_.dir);
  std::filesystem::create_directories(options_.dir);
  std::filesystem::create_symlink(root_ / "elsewhere" / "target", options_.dir + "/pair.lock");
  auto via_file = Take();
  EXPECT_FALSE(via_file.ok());
  EXPECT_FALSE(std::filesystem::exists(root_ / "elsewhere" / "target"));
}

Location Bucket(const std::string& bucket) {
  Location l;
  l.kind = Location::Kind::kRemote;
  l.bucket = bucket;
  l.remote_id = "http://127.0.0.1:7480 KEY";
  return l;
}

Location Folder(const std::string& path) {
  Location l;
  l.path = path;
  return l;
}

TEST_F(PairLockTest, PairsAndSharesOfAPairLockApart) {
  SyncOptions o;
  std::string notice;
  auto a = LockPair(options_, Bucket("a"), Folder("/backup/a"), o, &notice);
  ASSERT_TRUE(a.ok() && *a) << a.status().ToString();
  auto b = LockPair(options_, Bucket("b"), Folder("/backup/b"), o, &notice);
  EXPECT_TRUE(b.ok() && *b);
  auto again = LockPair(options_, Bucket("a"), Folder("/backup/a"), o, &notice);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("is syncing s3://a -> /backup/a;"), std::string::npos)
      << again.status().message();
  o.manifest.share = "share-0-of-2";
  auto s0 = LockPair(options_, Bucket("a"), Folder("/backup/a"), o, &notice);
  o.manifest.share = "share-1-of-2";
  auto s1 = LockPair(options_, Bucket("a"), Folder("/backup/a"), o, &notice);
  EXPECT_TRUE(s0.ok() && *s0);
  EXPECT_TRUE(s1.ok() && *s1);
  EXPECT_TRUE(notice.empty()) << notice;
}

TEST_F(PairLockTest, NoLockFolderIsANoticeNotAFailure) {
  std::FILE* f = std::fopen((root_ / "file").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  LockOptions o = options_;
  o.dir = (root_ / "file" / "locks").string();  // under a regular file
  std::string notice;
  auto held = LockPair(o, Bucket("a"), Folder("/backup/a"), SyncOptions(), &notice);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(*held, nullptr);
  EXPECT_NE(notice.find("going on without the lock"), std::string::npos) << notice;
}

}  // namespace
}  // namespace gwsync::session
