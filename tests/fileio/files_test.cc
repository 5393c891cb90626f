// Downloads are private while written, and a destination's links are never
// written or deleted through (fileio/files.h, fileio/dest_dir.h,
// fileio/state_dir.h).
#include "fileio/files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "fileio/dest_dir.h"
#include "fileio/state_dir.h"
#include "support/scratch.h"

namespace gwsync::fileio {
namespace {

namespace fs = std::filesystem;

using gwsync::testing::Scratch;

mode_t ModeOf(int fd) {
  struct stat st {};
  EXPECT_EQ(fstat(fd, &st), 0);
  return st.st_mode & 07777;
}

// Whatever the umask, no one else can read a download in progress.
TEST(TempFileTest, CreatedPrivate) {
  Scratch dir;
  mode_t old = umask(0);
  auto tmp = TempFile::Create(dir / "f");
  auto at = CreateDestTemp(dir.path(), "sub/g");
  umask(old);
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();
  ASSERT_TRUE(at.ok()) << at.status().ToString();
  EXPECT_EQ(ModeOf((*tmp)->fd()), 0600u);
  EXPECT_EQ(ModeOf((*at)->fd()), 0600u);
  ASSERT_TRUE((*at)->Commit().ok());
  EXPECT_TRUE(fs::is_regular_file(dir / "sub/g"));
}

// The shares of one backup save the same bucket settings into one folder at
// once: every writer succeeds, the file is always whole, and no temporary
// name is left behind (a shared "NAME.tmp" once made one share fail).
TEST(WriteFileAtomicallyTest, WritersOfOnePathAtOnce) {
  Scratch dir;
  const std::string path = dir / "acl.xml";
  constexpr int kThreads = 4, kWrites = 200;
  std::atomic<int> failed{0}, torn{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string body(4096 + t, static_cast<char>('a' + t));
      for (int i = 0; i < kWrites; ++i) {
        Status s = WriteFileAtomically(path, body, 0644);
        if (!s.ok()) failed++;
        std::ifstream in(path, std::ios::binary);
        std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (got.size() < 4096 || got.find_first_not_of(got[0]) != std::string::npos) torn++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path())) names.push_back(e.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"acl.xml"});
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST(DestDirTest, RefusesLinksOnTheWay) {
  Scratch dst, elsewhere;
  ASSERT_EQ(symlink(elsewhere.path().c_str(), (dst / "lnk").c_str()), 0);
  std::ofstream(elsewhere / "victim") << "keep";

  auto tmp = CreateDestTemp(dst.path(), "lnk/x");
  EXPECT_EQ(tmp.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(tmp.status().message().find("symbolic link"), std::string::npos);
  EXPECT_FALSE(MakeDestFolders(dst.path(), "lnk/sub/").ok());
  EXPECT_FALSE(RemoveDestFile(dst.path(), "lnk/victim").ok());
  EXPECT_TRUE(fs::exists(elsewhere / "victim"));
  EXPECT_FALSE(fs::exists(elsewhere / "x"));
  EXPECT_FALSE(fs::exists(elsewhere / "sub"));
  EXPECT_FALSE(CreateDestTemp(dst.path(), "a/../b").ok());

  // A file replacing a link is fine: the link itself is replaced.
  ASSERT_EQ(symlink((elsewhere / "victim").c_str(), (dst / "flink").c_str()), 0);
  auto over = CreateDestTemp(dst.path(), "flink");
  ASSERT_TRUE(over.ok()) << over.status().ToString();
  ASSERT_TRUE((*over)->Commit().ok());
  EXPECT_FALSE(fs::is_symlink(dst / "flink"));
  std::ifstream in(elsewhere / "victim");
  std::string kept;
  in >> kept;
  EXPECT_EQ(kept, "keep");

  EXPECT_TRUE(RemoveDestFile(dst.path(), "missing/none").ok());
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Status Place(DestFolders& folders, const std::string& key, const std::string& body) {
  ASSIGN_OR_RETURN(auto tmp, folders.CreateTemp(key));
  if (write(tmp->fd(), body.data(), body.size()) != static_cast<ssize_t>(body.size())) {
    return Internal("short write");
  }
  return tmp->Commit();
}

// The folders kept open between keys give the same tree, whatever the order
// and with fewer folders held than the tree has.
TEST(DestFoldersTest, WritesATreeWithFewFoldersHeld) {
  Scratch dst;
  DestFolders folders(dst.path(), /*capacity=*/2);
  const std::vector<std::string> keys = {"top", "a/b/c/1", "a/b/c/2", "a/b/d",      "a/x",
                                         "z/1", "a/b/c/3", "top2",    "a/b/c/d/e/f"};
  for (const auto& key : keys) ASSERT_TRUE(Place(folders, key, "<" + key + ">").ok()) << key;
  for (const auto& key : keys) EXPECT_EQ(Read(dst / key), "<" + key + ">") << key;
  EXPECT_FALSE(folders.CreateTemp("a/../b").ok());
  EXPECT_FALSE(folders.CreateTemp("a//b").ok());
  EXPECT_FALSE(folders.CreateTemp("a/b/").ok());
}

// A held folder that someone removes is made again; one replaced by a link
// is never written through: the next file goes where the held descriptor
// points, or, once the folder is opened again, is refused.
TEST(DestFoldersTest, RemovedFolderIsMadeAgainAndALinkIsNeverFollowed) {
  Scratch dst, elsewhere;
  DestFolders folders(dst.path());
  ASSERT_TRUE(Place(folders, "d/one", "1").ok());
  fs::remove_all(dst / "d");
  ASSERT_TRUE(Place(folders, "d/two", "2").ok());
  EXPECT_EQ(Read(dst / "d/two"), "2");

  fs::rename(dst / "d", dst / "moved");
  ASSERT_EQ(symlink(elsewhere.path().c_str(), (dst / "d").c_str()), 0);
  ASSERT_TRUE(Place(folders, "d/three", "3").ok());
  EXPECT_EQ(Read(dst / "moved/three"), "3");
  EXPECT_FALSE(fs::exists(elsewhere / "three"));

  DestFolders fresh(dst.path());
  auto through = fresh.CreateTemp("d/four");
  EXPECT_EQ(through.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(fs::exists(elsewhere / "four"));
}

// gwsync's own folders: 0700 and 0600 whatever the umask, made again private
// when an earlier version left them open.
TEST(StateDirTest, PrivateFoldersAndFiles) {
  Scratch dir;
  fs::create_directory(dir / ".gwsync");
  chmod((dir / ".gwsync").c_str(), 0755);
  mode_t old = umask(0);
  auto state = StateDir::Open(dir.path(), ".gwsync/bucket", true);
  umask(old);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->path(), dir / ".gwsync/bucket");
  ASSERT_TRUE(state->WriteFile("policy.json", "{}").ok());
  struct stat st {};
  ASSERT_EQ(stat((dir / ".gwsync").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(stat((dir / ".gwsync/bucket").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(stat((dir / ".gwsync/bucket/policy.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  auto body = state->ReadFile("policy.json", 100);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, "{}");
  EXPECT_EQ(state->ReadFile("absent", 100).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(state->ReadFile("policy.json", 1).status().code(), StatusCode::kFailedPrecondition);
  state->Remove("policy.json");
  EXPECT_FALSE(fs::exists(dir / ".gwsync/bucket/policy.json"));
  EXPECT_EQ(StateDir::Open(dir.path(), ".gwsync/none", false).status().code(),
            StatusCode::kNotFound);
}

// A link planted where the state folder goes (or inside it) is refused by
// name: nothing is created, written or read through it.
TEST(StateDirTest, ALinkOnTheWayIsNeverFollowed) {
  Scratch dir, victim;
  fs::create_symlink(victim.path(), dir / ".gwsync");
  for (bool create : {true, false}) {
    auto state = StateDir::Open(dir.path(), ".gwsync/bucket", create);
    ASSERT_FALSE(state.ok());
    EXPECT_EQ(state.status().message(),
              "'" + (dir / ".gwsync") +
                  "' is a symbolic link, not followed: gwsync keeps its own state there "
                  "(move it aside)");
  }
  EXPECT_TRUE(fs::is_empty(victim.path()));

  fs::remove(dir / ".gwsync");
  fs::create_directory(dir / ".gwsync");
  fs::create_symlink(victim.path(), dir / ".gwsync/bucket");
  EXPECT_FALSE(StateDir::Open(dir.path(), ".gwsync/bucket", true).ok());
  EXPECT_TRUE(fs::is_empty(victim.path()));

  std::ofstream(victim / "secret") << "root's";
  fs::create_symlink(victim / "secret", dir / ".gwsync/manifest-latest");
  auto state = StateDir::Open(dir.path(), ".gwsync", false);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->ReadFile("manifest-latest", 100).status().message(),
            "'" + (dir / ".gwsync/manifest-latest") + "' is a symbolic link, not followed");
  // Written over, the link itself is replaced: the file it pointed at keeps its bytes.
  ASSERT_TRUE(state->WriteFile("manifest-latest", "m\n").ok());
  EXPECT_FALSE(fs::is_symlink(dir / ".gwsync/manifest-latest"));
  std::ifstream in(victim / "secret");
  std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(kept, "root's");
}

}  // namespace
}  // namespace gwsync::fileio
