// "Did you mean": which near name a usage error offers, and when none.
#include "cli/suggest.h"

#include <gtest/gtest.h>

namespace gwsync::cli {
namespace {

TEST(SuggestTest, EditDistanceCountsASwapAsOneEdit) {
  EXPECT_EQ(EditDistance("delete", "delete"), 0u);
  EXPECT_EQ(EditDistance("dleete", "delete"), 1u);
  EXPECT_EQ(EditDistance("sycn", "sync"), 1u);
  EXPECT_EQ(EditDistance("delet", "delete"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(SuggestTest, NearestOffersACloseName) {
  const std::vector<std::string> options = {"delete",       "dry-run",  "max-delete",
                                            "force-delete", "endpoint", "exclude"};
  EXPECT_EQ(Nearest("dleete", options), "delete");
  EXPECT_EQ(Nearest("dry-rnu", options), "dry-run");
  EXPECT_EQ(Nearest("endpiont", options), "endpoint");
  EXPECT_EQ(Nearest("max-deletes", options), "max-delete");
  EXPECT_EQ(Nearest("dry", options), "dry-run");  // a beginning
  EXPECT_EQ(Nearest("bogus", options), "");
  EXPECT_EQ(Nearest("deltee-all", options), "");  // three edits
  EXPECT_EQ(Nearest("", options), "");
}

TEST(SuggestTest, ShortWordsNeedACloserMatch) {
  const std::vector<std::string> commands = {"ls", "mb", "rb",   "put",    "get",
                                             "cp", "rm", "sync", "verify", "du"};
  EXPECT_EQ(Nearest("sycn", commands), "sync");
  EXPECT_EQ(Nearest("verfiy", commands), "verify");
  EXPECT_EQ(Nearest("pot", commands), "put");
  EXPECT_EQ(Nearest("xx", commands), "");  // two edits from ls, but only two letters
  EXPECT_EQ(Nearest("mv", commands), "");
  EXPECT_EQ(Nearest("zzzz", commands), "");
}

TEST(SuggestTest, ATieGoesToTheFirstName) {
  EXPECT_EQ(Nearest("get", {"gut", "got"}), "gut");
  EXPECT_EQ(Nearest("syn", {"synchronize", "sync"}), "sync");  // one edit beats a beginning
}

}  // namespace
}  // namespace gwsync::cli
