// A listing's pages must make progress and stay under the prefix asked for;
// PageCheck says which rule a gateway broke.
#include "s3/page_check.h"

#include <gtest/gtest.h>

namespace gwsync::s3 {
namespace {

ListPage Page(std::vector<std::string> keys, bool truncated, std::string token = "") {
  ListPage p;
  for (auto& k : keys) {
    ObjectInfo o;
    o.key = std::move(k);
    p.objects.push_back(std::move(o));
  }
  p.truncated = truncated;
  p.next_token = std::move(token);
  return p;
}

TEST(PageCheck, AcceptsAnOrdinaryListing) {
  PageCheck check("p/");
  EXPECT_TRUE(check.Check(Page({"p/a", "p/b"}, true, "t1"), "t1").ok());
  EXPECT_TRUE(check.Check(Page({"p/c"}, true, "t2"), "t2").ok());
  EXPECT_TRUE(check.Check(Page({"p/d"}, false), "").ok());
}

TEST(PageCheck, ARepeatedTokenStops) {
  PageCheck check("");
  ASSERT_TRUE(check.Check(Page({"a"}, true, "same"), "same").ok());
  Status s = check.Check(Page({"b"}, true, "same"), "same");
  EXPECT_NE(s.message().find("repeated its continuation token"), std::string::npos) << s.message();
}

TEST(PageCheck, KeysOutOfOrderAcrossPagesStop) {
  PageCheck check("");
  ASSERT_TRUE(check.Check(Page({"b"}, true, "t1"), "t1").ok());
  Status s = check.Check(Page({"a"}, false), "");
  EXPECT_NE(s.message().find("out of order"), std::string::npos) << s.message();
  PageCheck again("");
  EXPECT_FALSE(again.Check(Page({"a", "a"}, false), "").ok());  // not strictly ascending
}

TEST(PageCheck, KeysOutsideThePrefixStop) {
  PageCheck check("p/");
  Status s = check.Check(Page({"p/a", "q"}, false), "");
  EXPECT_NE(s.message().find("outside 'p/'"), std::string::npos) << s.message();
}

TEST(PageCheck, EndlessEmptyPagesStop) {
  PageCheck check("");
  int pages = 0;
  Status s;
  while (s.ok() && pages < 1000) {
    s = check.Check(Page({}, true, "t" + std::to_string(pages)), "t" + std::to_string(pages));
    ++pages;
  }
  EXPECT_EQ(pages, PageCheck::kMaxEmptyPages + 1);
  EXPECT_NE(s.message().find("empty truncated"), std::string::npos) << s.message();
}

TEST(PageCheck, ATruncatedPageWithoutAContinuationStops) {
  PageCheck check("");
  EXPECT_FALSE(check.Check(Page({"a"}, true, ""), "").ok());
}

// Keys and common prefixes of a delimiter listing are one order: a key
// sent after a folder it sorts before is refused, even on a later page.
TEST(PageCheck, KeysAndFoldersShareOneOrder) {
  PageCheck check("p/", "/");
  ListPage first = Page({"p/a"}, true, "t1");
  first.common_prefixes = {"p/m/"};
  ASSERT_TRUE(check.Check(first, "t1").ok());
  Status s = check.Check(Page({"p/c"}, false), "");
  EXPECT_NE(s.message().find("'p/c' after 'p/m/', out of order"), std::string::npos) << s.message();
}

// With a delimiter, a common prefix is a folder below the level listed: not
// the level itself (listing it again would never end) nor a bare name.
TEST(PageCheck, AFolderMustBeBelowTheLevel) {
  PageCheck level("p/", "/");
  Status s = level.CheckFolder("p/");
  EXPECT_NE(s.message().find("not a folder of 'p/'"), std::string::npos) << s.message();
  EXPECT_FALSE(PageCheck("p/", "/").CheckFolder("p/x").ok());
  EXPECT_NE(PageCheck("p/", "/").CheckFolder("q/").message().find("outside 'p/'"),
            std::string::npos);
  EXPECT_TRUE(PageCheck("p/", "/").CheckFolder("p/x/").ok());
}

// The rules one name at a time, as the sync's bucket stream reads a page.
TEST(PageCheck, OneNameAtATime) {
  PageCheck check("p/", "/");
  EXPECT_TRUE(check.CheckKey("p/a").ok());
  EXPECT_TRUE(check.CheckFolder("p/b/").ok());
  EXPECT_TRUE(check.CheckMarker(true, "t1", false).ok());
  EXPECT_NE(check.CheckKey("p/b/").message().find("out of order"), std::string::npos);

  PageCheck tokens("");
  ASSERT_TRUE(tokens.CheckKey("a").ok());
  ASSERT_TRUE(tokens.CheckMarker(true, "t1", false).ok());
  EXPECT_NE(tokens.CheckMarker(true, "t1", false).message().find("repeated"), std::string::npos);
}

}  // namespace
}  // namespace gwsync::s3
