// Which row of `gwsync du` a key is counted in.
#include "du/du.h"

#include <gtest/gtest.h>

namespace gwsync::du {
namespace {

TEST(DuTest, KeysGoToTheirFirstLevelsOrToTheTop) {
  EXPECT_EQ(GroupOf("file", 1), "");
  EXPECT_EQ(GroupOf("a/b/c", 1), "a/");
  EXPECT_EQ(GroupOf("a/b/c", 2), "a/b/");
  EXPECT_EQ(GroupOf("a/b/c", 5), "a/b/");  // a file of a/b/ at any depth below
  EXPECT_EQ(GroupOf("a/f", 2), "a/");
  EXPECT_EQ(GroupOf("f", 3), "");
}

}  // namespace
}  // namespace gwsync::du
