// size: one small case per ordering and file-type rule of the walker.
// The walker lists a folder in the order S3 lists keys, so the two listings
// merge without a sort.
#include "scan/local_walker.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "fileio/files.h"
#include "fileio/temp_name.h"

namespace gwsync::scan {
namespace {

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gwsync-walk-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    // Restore permissions a test took away so everything can be removed.
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(
             path_, std::filesystem::directory_options::skip_permission_denied, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) chmod(it->path().c_str(), 0755);
    }
    chmod(path_.c_str(), 0755);
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// Creates `rel` (and its parent folders) holding `data`.
void Write(const ScratchDir& dir, const std::string& rel, const std::string& data = "x") {
  std::filesystem::path p = dir / rel;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
}

struct Walk {
  Status status;
  std::vector<LocalEntry> entries;
  std::vector<std::pair<std::string, Status>> skipped;

  std::vector<std::string> Keys() const {
    std::vector<std::string> keys;
    for (const auto& e : entries) keys.push_back(e.key);
    return keys;
  }
  std::vector<std::string> SkippedPaths() const {
    std::vector<std::string> paths;
    for (const auto& s : skipped) paths.push_back(s.first);
    return paths;
  }
};

Walk WalkTree(const std::string& root, const std::string& prefix = "", Links links = Links::kSkip) {
  Walk w;
  WalkOptions options;
  options.links = links;
  options.prefix = prefix;
  options.on_skip = [&](const std::string& path, const Status& why) {
    w.skipped.emplace_back(path, why);
  };
  w.status = WalkLocal(root, options, [&](LocalEntry e) {
    w.entries.push_back(std::move(e));
    return Status::Ok();
  });
  return w;
}

TEST(LocalWalkerTest, FolderSortsAsNameWithSlash) {
  ScratchDir dir;
  for (const char* rel : {"a0", "a/b", "a-b", "a.b", "a/c/d", "a/c-d", "b", "a_"}) Write(dir, rel);
  Walk w = WalkTree(dir.path());
  ASSERT_TRUE(w.status.ok()) << w.status.ToString();
  EXPECT_EQ(w.Keys(),
            (std::vector<std::string>{"a-b", "a.b", "a/b", "a/c-d", "a/c/d", "a0", "a_", "b"}));
  EXPECT_TRUE(w.skipped.empty());
}

TEST(LocalWalkerTest, NestedAndEmptyFolders) {
  ScratchDir dir;
  Write(dir, "x/y/z/deep.txt");
  Write(dir, "x/top.txt");
  std::filesystem::create_directories(dir / "x/empty/also-empty");
  Walk w = WalkTree(dir.path() + "/");  // a trailing slash changes nothing
  ASSERT_TRUE(w.status.ok());
  EXPECT_EQ(w.Keys(), (std::vector<std::string>{"x/top.txt", "x/y/z/deep.txt"}));
}

TEST(LocalWalkerTest, UnicodeAndRawByteNames) {
  ScratchDir dir;
  const std::string latin = "caf\xc3\xa9";             // café
  const std::string cjk = "\xe6\x97\xa5\xe6\x9c\xac";  // 日本
  const std::string raw = "bad\xff\xfe";               // not UTF-8: reported, not listed
  Write(dir, latin);
  Write(dir, cjk + "/" + latin);
  Write(dir, raw);
  Write(dir, "z");
  Walk w = WalkTree(dir.path());
  ASSERT_TRUE(w.status.ok());
  std::vector<std::string> want = {latin, cjk + "/" + latin, "z"};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(w.Keys(), want);
  EXPECT_EQ(w.SkippedPaths(), std::vector<std::string>{dir / "bad\\xff\\xfe"});
}

TEST(LocalWalkerTest, EntryValuesMatchStat) {
  ScratchDir dir;
  Write(dir, "f", std::string(12345, 'q'));
  ASSERT_EQ(chmod((dir / "f").c_str(), 0640), 0);
  timespec times[2] = {{1'600'000'000, 123'456'789}, {1'600'000'000, 987'654'321}};
  ASSERT_EQ(utimensat(AT_FDCWD, (dir / "f").c_str(), times, 0), 0);
  struct stat st;
  ASSERT_EQ(stat((dir / "f").c_str(), &st), 0);

  Walk w = WalkTree(dir.path());
  ASSERT_TRUE(w.status.ok());
  ASSERT_EQ(w.entries.size(), 1u);
  const LocalEntry& e = w.entries[0];
  EXPECT_EQ(e.key, "f");
  EXPECT_EQ(e.size, 12345u);
  EXPECT_EQ(e.mtime_ns, 1'600'000'000'987'654'321LL);
  EXPECT_EQ(e.inode, st.st_ino);
  EXPECT_EQ(e.mode, 0640u);
  EXPECT_EQ(e.uid, st.st_uid);
  EXPECT_EQ(e.gid, st.st_gid);
}

// By default a link is named, not followed: `up -> ..` and `etc -> /etc`
// must not turn one file into thousands of keys.
TEST(LocalWalkerTest, SymlinksAreReportedNotFollowedByDefault) {
  ScratchDir dir;
  Write(dir, "real/file", "12345");
  ASSERT_EQ(symlink("..", (dir / "real/up").c_str()), 0);
  ASSERT_EQ(symlink("/etc", (dir / "etc").c_str()), 0);
  ASSERT_EQ(symlink("real/file", (dir / "linkfile").c_str()), 0);
  ASSERT_EQ(symlink("nowhere", (dir / "dangling").c_str()), 0);
  Walk w = WalkTree(dir.path());
  ASSERT_TRUE(w.status.ok());
  EXPECT_EQ(w.Keys(), std::vector<std::string>{"real/file"});
  std::vector<std::string> skipped = w.SkippedPaths();
  std::sort(skipped.begin(), skipped.end());
  EXPECT_EQ(skipped, (std::vector<std::string>{dir / "dangling", dir / "etc", dir / "linkfile",
                                               dir / "real/up"}));
  for (const auto& [path, why] : w.skipped) {
    EXPECT_EQ(why.code(), StatusCode::kFailedPrecondition) << path;  // a notice, not a read error
    EXPECT_NE(why.message().find("symbolic link"), std::string::npos) << why.message();
  }
}

// S3 keys are UTF-8: a name that is not is reported by name (its bad bytes
// as \xNN), never sent to become a bare HTTP 400.
TEST(LocalWalkerTest, NamesThatAreNotUtf8AreReported) {
  ScratchDir dir;
  Write(dir, "caf\xc3\xa9");        // "café", fine
  Write(dir, "latin1-caf\xe9");     // ISO-8859-1
  Write(dir, "overlong-\xc0\xaf");  // "/" spelled in two bytes
  Walk w = WalkTree(dir.path());
  ASSERT_TRUE(w.status.ok());
  EXPECT_EQ(w.Keys(), std::vector<std::string>{"caf\xc3\xa9"});
  std::vector<std::string> skipped = w.SkippedPaths();
  std::sort(skipped.begin(), skipped.end());
  EXPECT_EQ(skipped,
            (std::vector<std::string>{dir / "latin1-caf\\xe9", dir / "overlong-\\xc0\\xaf"}));
  for (const auto& [path, why] : w.skipped) {
    EXPECT_EQ(why.code(), StatusCode::kFailedPrecondition) << path;
    EXPECT_NE(why.message().find("UTF-8"), std::string::npos) << why.message();
  }
}

// Links::kStore lists a link as NAME.rclonelink, where that key sorts, with
// the target's length as its size; nothing behind it is listed.
TEST(LocalWalkerTest, StoredLinksAreEntriesOfTheirOwn) {
  ScratchDir dir;
  Write(dir, "a.x");
  Write(dir, "a0");
  Write(dir, "real/file");
  ASSERT_EQ(symlink("real", (dir / "a").c_str()), 0);
  ASSERT_EQ(symlink("/nowhere/at/all", (dir / "z").c_str()), 0);
  Walk w = WalkTree(dir.path(), "", Links::kStore);
  ASSERT_TRUE(w.status.ok());
  EXPECT_EQ(w.Keys(),
            (std::vector<std::string>{"a.rclonelink", "a.x", "a0", "real/file", "z.rclonelink"}));
  EXPECT_TRUE(w.entries[0].link);
  EXPECT_EQ(w.entries[0].size, 4u);  // "real"
  EXPECT_FALSE(w.entries[1].link);
  EXPECT_EQ(w.entries[4].size, 15u);
  EXPECT_TRUE(w.skipped.empty());
}

TEST(LocalWalkerTest, SymlinksToFilesAndFoldersAreFollowed) {
  ScratchDir dir;
  Write(dir, "real/file", "12345");
  Write(dir, "target.txt", "abc");
  ASSERT_EQ(symlink("real", (dir / "linkdir").c_str()), 0);
  ASSERT_EQ(symlink("target.txt", (dir / "linkfile").c_str()), 0);
  ASSERT_EQ(symlink("nowhere", (dir / "dangling").c_str()), 0);
  Walk w = WalkTree(dir.path(), "", Links::kFollow);
  ASSERT_TRUE(w.status.ok());
  EXPECT_EQ(w.Keys(),
            (std::vector<std::string>{"linkdir/file", "linkfile", "real/file", "target.txt"}));
  EXPECT_EQ(w.entries[1].size, 3u);  // the target's size, not the link's
  EXPECT_EQ(w.entries[0].size, 5u);
  EXPECT_EQ(w.SkippedPaths(), std::vector<std::string>{dir / "dangling"});
}

TEST(LocalWalkerTest, SymlinkLoopsAreSkipped) {
  ScratchDir dir;
  Write(dir, "a/file");
  ASSERT_EQ(symlink("..", (dir / "a/up").c_str()), 0);
  ASSERT_EQ(symlink(".", (dir / "a/self").c_str()), 0);
  ASSERT_EQ(symlink("loop2", (dir / "loop1").c_str()), 0);  // a link chain that never ends
  ASSERT_EQ(symlink("loop1", (dir / "loop2").c_str()), 0);
  Walk w = WalkTree(dir.path(), "", Links::kFollow);
  ASSERT_TRUE(w.status.ok());
  EXPECT_EQ(w.Keys(), std::vector<std::string>{"a/file"});
  std::vector<std::string> skipped = w.SkippedPaths();
  std::sort(skipped.begin(), skipped.end());
  EXPECT_EQ(skipped,
            (std::vector<std::string>{dir / "a/self", dir / "a/up", dir / "loop1", dir / "loop2"}));
}

TEST(LocalWalkerTest, UnreadableFolderIsSkippedAndWalkGoesOn) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads every folder";
  ScratchDir dir;
  Write(dir, "a");
  Write(dir, "locked/secret");
  Write(dir, "z");
  ASSERT_EQ(chmod((dir / "locked").c_str(), 0), 0);
  Walk w = WalkTree(dir.path());
  ASSERT_TRUE(w.status.ok());
  EXPECT_EQ(w.Keys(), (std::vector<std::string>{"a", "z"}));
  ASSERT_EQ(w.skipped.size(), 1u);
  EXPECT_EQ(w.skipped[0].first, dir / "locked");
  EXPECT_EQ(w.skipped[0].second.code(), StatusCode::kPermissionDenied);
}

// Marks a file as fileio::TempFile marks its temporaries.
void MarkTemp(const std::filesystem::path& path) {
  ASSERT_EQ(setxattr(path.c_str(), fileio::kTempXattr, "1", 1, 0), 0) << path;
}

TEST(LocalWalkerTest, TempFilesSkippedSilently) {
  ScratchDir dir;
  Write(dir, ".layer.tar.gwsync-a1B2c3");
  Write(dir, "sub/.x.gwsync-ZZZZZZ");
  MarkTemp(dir / ".layer.tar.gwsync-a1B2c3");
  MarkTemp(dir / "sub/.x.gwsync-ZZZZZZ");
  Write(dir, ".layer.tar.gwsync-a1B2c");    // too short a suffix: a user's file
  Write(dir, ".layer.tar.gwsync-a1B2c3d");  // too long
  Write(dir, "layer.tar.gwsync-a1B2c3");    // no leading dot
  Walk w = WalkTree(dir.path());
  ASSERT_TRUE(w.status.ok());
  EXPECT_EQ(w.Keys(),
            (std::vector<std::string>{".layer.tar.gwsync-a1B2c", ".layer.tar.gwsync-a1B2c3d",
                                      "layer.tar.gwsync-a1B2c3"}));
  EXPECT_TRUE(w.skipped.empty());
}

// A run killed mid-download leaves its temporary file unlocked: the next
// walk of that destination removes it. One a live writer holds (an flock
// on its descriptor) stays, and so do the user's files.
TEST(LocalWalkerTest, StaleTempFilesRemovedWhenAsked) {
  ScratchDir dir;
  Write(dir, "sub/.dead.gwsync-a1B2c3", "partial");
  MarkTemp(dir / "sub/.dead.gwsync-a1B2c3");
  Write(dir, ".live.gwsync-ZZZZZZ", "in progress");
  Write(dir, "layer.tar.gwsync-a1B2c3");  // not a temporary name
  int live = open((dir / ".live.gwsync-ZZZZZZ").c_str(), O_RDWR);
  ASSERT_GE(live, 0);
  ASSERT_EQ(flock(live, LOCK_EX | LOCK_NB), 0);

  WalkOptions options;
  options.stale_seconds = 0;  // this test cannot wait for them to age
  Walk w;                     // without remove_stale_temps nothing goes
  ASSERT_TRUE(WalkLocal(dir.path(), options, [&](LocalEntry e) {
                w.entries.push_back(std::move(e));
                return Status::Ok();
              }).ok());
  EXPECT_TRUE(std::filesystem::exists(dir / "sub/.dead.gwsync-a1B2c3"));

  options.remove_stale_temps = true;
  w.entries.clear();
  ASSERT_TRUE(WalkLocal(dir.path(), options, [&](LocalEntry e) {
                w.entries.push_back(std::move(e));
                return Status::Ok();
              }).ok());
  EXPECT_EQ(w.Keys(), std::vector<std::string>{"layer.tar.gwsync-a1B2c3"});
  EXPECT_FALSE(std::filesystem::exists(dir / "sub/.dead.gwsync-a1B2c3"));
  EXPECT_TRUE(std::filesystem::exists(dir / ".live.gwsync-ZZZZZZ"));
  close(live);
}

// A user's file that merely looks like a temporary (no mark, no lock, not
// fresh) is walked like any other, and never removed as stale.
TEST(LocalWalkerTest, AUsersFileNamedLikeATempIsAFile) {
  ScratchDir dir;
  Write(dir, ".notes.gwsync-a1B2c3", "the user's");
  Write(dir, "sub/.x.gwsync-ZZZZZZ", "the user's too");
  Write(dir, ".ours.gwsync-b2C3d4", "partial");
  MarkTemp(dir / ".ours.gwsync-b2C3d4");
  WalkOptions options;
  options.stale_seconds = 0;  // none is fresh
  options.remove_stale_temps = true;
  Walk w;
  ASSERT_TRUE(WalkLocal(dir.path(), options, [&](LocalEntry e) {
                w.entries.push_back(std::move(e));
                return Status::Ok();
              }).ok());
  EXPECT_EQ(w.Keys(), (std::vector<std::string>{".notes.gwsync-a1B2c3", "sub/.x.gwsync-ZZZZZZ"}));
  EXPECT_TRUE(std::filesystem::exists(dir / ".notes.gwsync-a1B2c3"));
  EXPECT_TRUE(std::filesystem::exists(dir / "sub/.x.gwsync-ZZZZZZ"));
  EXPECT_FALSE(std::filesystem::exists(dir / ".ours.gwsync-b2C3d4"));
}

// Where the file system keeps user attributes, the mark decides, not the
// age: a user's file of that shape written a moment ago is walked too.
TEST(LocalWalkerTest, ANewUsersFileNamedLikeATempIsAFile) {
  ScratchDir dir;
  Write(dir, ".new.gwsync-a1B2c3", "the user's, just written");
  if (setxattr((dir / ".new.gwsync-a1B2c3").c_str(), "user.probe", "1", 1, 0) != 0 &&
      errno == ENOTSUP) {
    GTEST_SKIP() << "no user attributes here";
  }
  WalkOptions options;
  options.stale_seconds = 3600;  // it is fresh
  Walk w;
  ASSERT_TRUE(WalkLocal(dir.path(), options, [&](LocalEntry e) {
                w.entries.push_back(std::move(e));
                return Status::Ok();
              }).ok());
  EXPECT_EQ(w.Keys(), std::vector<std::string>{".new.gwsync-a1B2c3"});
}

// gwsync's own temporaries carry the mark while they are temporaries, and
// not once they have their real name.
TEST(LocalWalkerTest, TempFilesAreMarkedUntilCommitted) {
  ScratchDir dir;
  auto temp = fileio::TempFile::Create(dir / "f");
  ASSERT_TRUE(temp.ok()) << temp.status().message();
  EXPECT_GE(fgetxattr((*temp)->fd(), fileio::kTempXattr, nullptr, 0), 0);
  ASSERT_TRUE((*temp)->Commit().ok());
  EXPECT_LT(getxattr((dir / "f").c_str(), fileio::kTempXattr, nullptr, 0), 0);
}

// A fresh one is left alone even unlocked: its writer may not have taken
// the lock yet.
TEST(LocalWalkerTest, FreshTempFilesKept) {
  ScratchDir dir;
  Write(dir, ".fresh.gwsync-a1B2c3");
  WalkOptions options;
  options.remove_stale_temps = true;
  options.stale_seconds = 60;
  ASSERT_TRUE(WalkLocal(dir.path(), options, [](LocalEntry) { return Status::Ok(); }).ok());
  EXPECT_TRUE(std::filesystem::exists(dir / ".fresh.gwsync-a1B2c3"));
}

TEST(LocalWalkerTest, IsTempName) {
  EXPECT_TRUE(fileio::IsTempName(".f.gwsync-abcXYZ"));
  EXPECT_TRUE(fileio::IsTempName(".blob.data.gwsync-012345"));
  EXPECT_FALSE(fileio::IsTempName(".gwsync-abcXYZ"));  // no original name
  EXPECT_FALSE(fileio::IsTempName("f.gwsync-abcXYZ"));
  EXPECT_FALSE(fileio::IsTempName(".f.gwsync-abc-YZ"));
  EXPECT_FALSE(fileio::IsTempName(".f.gwsync-abcXY"));
  EXPECT_FALSE(fileio::IsTempName(".f.gwsync_abcXYZ"));
  EXPECT_FALSE(fileio::IsTempName(""));
}

TEST(LocalWalkerTest, FifoIsReportedAndSkipped) {
  ScratchDir dir;
  Write(dir, "a");
  ASSERT_EQ(mkfifo((dir / "pipe").c_str(), 0600), 0);
  Walk w = WalkTree(dir.path());
  ASSERT_TRUE(w.status.ok());
  EXPECT_EQ(w.Keys(), std::vector<std::string>{"a"});
  ASSERT_EQ(w.skipped.size(), 1u);
  EXPECT_EQ(w.skipped[0].first, dir / "pipe");
  EXPECT_NE(w.skipped[0].second.message().find("fifo"), std::string::npos);
}

TEST(LocalWalkerTest, PrefixFilter) {
  ScratchDir dir;
  for (const char* rel : {"a-b", "a/b/c", "a/b/d", "a/bc", "a/c", "a0", "ab", "b/a"}) {
    Write(dir, rel);
  }
  EXPECT_EQ(WalkTree(dir.path(), "a/b").Keys(),
            (std::vector<std::string>{"a/b/c", "a/b/d", "a/bc"}));
  EXPECT_EQ(WalkTree(dir.path(), "a/b/").Keys(), (std::vector<std::string>{"a/b/c", "a/b/d"}));
  EXPECT_EQ(WalkTree(dir.path(), "a").Keys(),
            (std::vector<std::string>{"a-b", "a/b/c", "a/b/d", "a/bc", "a/c", "a0", "ab"}));
  EXPECT_EQ(WalkTree(dir.path(), "a/b/c").Keys(), std::vector<std::string>{"a/b/c"});
  EXPECT_TRUE(WalkTree(dir.path(), "c").Keys().empty());
  EXPECT_TRUE(WalkTree(dir.path(), "a/b/c/").Keys().empty());
}

TEST(LocalWalkerTest, PrefixPrunesFoldersOutsideIt) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads every folder";
  ScratchDir dir;
  Write(dir, "keep/f");
  Write(dir, "other/f");
  ASSERT_EQ(chmod((dir / "other").c_str(), 0), 0);
  Walk w = WalkTree(dir.path(), "keep/");
  ASSERT_TRUE(w.status.ok());
  EXPECT_EQ(w.Keys(), std::vector<std::string>{"keep/f"});
  EXPECT_TRUE(w.skipped.empty());  // "other" was never opened
}

TEST(LocalWalkerTest, MissingRootAndFileRoot) {
  ScratchDir dir;
  Walk missing = WalkTree(dir / "nope");
  EXPECT_EQ(missing.status.code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status.message().find(dir / "nope"), std::string::npos);
  Write(dir, "file");
  Walk file = WalkTree(dir / "file");
  EXPECT_EQ(file.status.code(), StatusCode::kInvalidArgument);
  Walk under_file = WalkTree(dir / "file/sub");
  EXPECT_EQ(under_file.status.code(), StatusCode::kNotFound);
}

TEST(LocalWalkerTest, SymlinkedRootIsFollowed) {
  ScratchDir dir;
  Write(dir, "real/f");
  ASSERT_EQ(symlink("real", (dir / "link").c_str()), 0);
  EXPECT_EQ(WalkTree(dir / "link").Keys(), std::vector<std::string>{"f"});
}

TEST(LocalWalkerTest, EmitErrorStopsTheWalk) {
  ScratchDir dir;
  for (const char* rel : {"a", "b", "c"}) Write(dir, rel);
  int seen = 0;
  Status s = WalkLocal(dir.path(), WalkOptions{}, [&](LocalEntry) {
    return ++seen == 2 ? Status(StatusCode::kCancelled, "enough") : Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kCancelled);
  EXPECT_EQ(seen, 2);
}

// A few hundred files whose names mix the characters that sort around '/':
// the walk must equal a plain byte sort of every key.
TEST(LocalWalkerTest, MatchesByteSortOfAllKeysOnGeneratedTree) {
  ScratchDir dir;
  const std::string alphabet = "-./0A_~";  // '/' separates components
  std::mt19937 rng(20240601);
  std::vector<std::string> keys;
  std::vector<std::string> dirs;  // keys that became folders
  int attempts = 0;
  while (keys.size() < 400 && ++attempts < 20000) {
    std::string key;
    int len = 1 + static_cast<int>(rng() % 7);
    for (int i = 0; i < len; ++i) key.push_back(alphabet[rng() % alphabet.size()]);
    // Keep only keys that are valid relative paths: no empty, "." or ".."
    // component, and no clash between a file and a folder of the same name.
    bool valid = key.front() != '/' && key.back() != '/';
    std::vector<std::string> parts;
    size_t start = 0;
    while (valid) {
      size_t slash = key.find('/', start);
      std::string part = key.substr(start, slash - start);
      if (part.empty() || part == "." || part == "..") valid = false;
      parts.push_back(part);
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (!valid) continue;
    std::string folder;
    for (size_t i = 0; i + 1 < parts.size() && valid; ++i) {
      folder += (i ? "/" : "") + parts[i];
      if (std::find(keys.begin(), keys.end(), folder) != keys.end()) valid = false;
    }
    if (!valid || std::find(keys.begin(), keys.end(), key) != keys.end() ||
        std::find(dirs.begin(), dirs.end(), key) != dirs.end()) {
      continue;
    }
    folder.clear();
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      folder += (i ? "/" : "") + parts[i];
      dirs.push_back(folder);
    }
    keys.push_back(key);
  }
  ASSERT_GE(keys.size(), 300u);
  for (const auto& key : keys) Write(dir, key, key);

  std::sort(keys.begin(), keys.end());
  Walk w = WalkTree(dir.path());
  ASSERT_TRUE(w.status.ok());
  EXPECT_EQ(w.Keys(), keys);
  for (const auto& e : w.entries) EXPECT_EQ(e.size, e.key.size()) << e.key;

  // With a prefix: exactly the sorted keys that start with it.
  for (const std::string prefix : {"-", "0/", "A", "_/~", ".", "~/", "0A"}) {
    std::vector<std::string> want;
    for (const auto& key : keys) {
      if (key.starts_with(prefix)) want.push_back(key);
    }
    EXPECT_EQ(WalkTree(dir.path(), prefix).Keys(), want) << prefix;
  }
}

}  // namespace
}  // namespace gwsync::scan
