// A folder swapped while the walk runs (for a link to a folder the walk
// must not enter, or for another folder) is reported and not walked, with
// openat2 and with the walk of folder handles older kernels get.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fileio/beneath.h"
#include "scan/local_walker.h"

namespace gwsync::scan {
namespace {

namespace fs = std::filesystem;

class WalkerSwapTest : public ::testing::TestWithParam<fileio::Resolver> {
 protected:
  WalkerSwapTest() {
    std::string tmpl = (fs::temp_directory_path() / "gwsync-swap-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    tree_ = dir_ + "/tree";
    fs::create_directories(tree_ + "/b");
    fs::create_directories(dir_ + "/secret");
    std::ofstream(tree_ + "/a") << "a";
    std::ofstream(tree_ + "/b/mine") << "mine";
    std::ofstream(dir_ + "/secret/shadow") << "root's";
    fileio::ForceResolverForTesting(GetParam());
  }
  ~WalkerSwapTest() override {
    fileio::ForceResolverForTesting(std::nullopt);
    fs::remove_all(dir_);
  }

  // Walks the tree; `swap` runs when "a" is emitted: after the root's
  // listing saw the folder "b", before the walk opens it.
  void WalkSwapping(const std::function<void()>& swap) {
    WalkOptions options;
    options.on_skip = [this](const std::string& path, const Status& why) {
      skipped_.push_back(path + ": " + why.message());
      EXPECT_EQ(why.code(), StatusCode::kFailedPrecondition) << why.message();
    };
    status_ = WalkLocal(tree_, options, [&](LocalEntry e) {
      if (e.key == "a") swap();
      keys_.push_back(e.key);
      return Status::Ok();
    });
  }

  std::string dir_, tree_;
  Status status_;
  std::vector<std::string> keys_, skipped_;
};

TEST_P(WalkerSwapTest, AFolderSwappedForALinkIsNotEntered) {
  WalkSwapping([&] {
    fs::rename(tree_ + "/b", tree_ + "/b.real");
    fs::create_directory_symlink(dir_ + "/secret", tree_ + "/b");
  });
  ASSERT_TRUE(status_.ok()) << status_.ToString();
  EXPECT_EQ(keys_, std::vector<std::string>{"a"});  // not b/shadow
  ASSERT_EQ(skipped_.size(), 1u);
  EXPECT_EQ(skipped_[0], tree_ + "/b: '" + tree_ +
                             "/b': a symbolic link on its way since it was listed, not followed");
}

TEST_P(WalkerSwapTest, AFolderSwappedForAnotherIsNotWalked) {
  WalkSwapping([&] {
    fs::rename(tree_ + "/b", tree_ + "/b.real");
    fs::create_directory(tree_ + "/b");
    std::ofstream(tree_ + "/b/planted") << "x";
  });
  ASSERT_TRUE(status_.ok()) << status_.ToString();
  EXPECT_EQ(keys_, std::vector<std::string>{"a"});
  ASSERT_EQ(skipped_.size(), 1u);
  EXPECT_NE(skipped_[0].find("replaced by another folder since it was listed"), std::string::npos)
      << skipped_[0];
}

TEST_P(WalkerSwapTest, LinksAreStillFollowedWhenAsked) {
  fs::create_directory_symlink(dir_ + "/secret", tree_ + "/c");
  WalkOptions options;
  options.links = Links::kFollow;
  Status s = WalkLocal(tree_, options, [&](LocalEntry e) {
    keys_.push_back(e.key);
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(keys_, (std::vector<std::string>{"a", "b/mine", "c/shadow"}));
}

INSTANTIATE_TEST_SUITE_P(Resolvers, WalkerSwapTest,
                         ::testing::Values(fileio::Resolver::kOpenat2, fileio::Resolver::kWalk),
                         [](const auto& info) {
                           return info.param == fileio::Resolver::kOpenat2 ? "Openat2" : "Walk";
                         });

}  // namespace
}  // namespace gwsync::scan
