// A listing's pages must make progress and stay under the prefix asked for;
// PageCheck says which rule a gateway broke.
#include "s3/page_check.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

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

// An empty key is a name like any other: sent twice, on one page or on
// the next, it is out of order (found by tests/fuzz/pages_fuzz.cc).
TEST(PageCheck, AnEmptyKeyTwiceStops) {
  PageCheck check("");
  ASSERT_TRUE(check.Check(Page({""}, true, "t1"), "t1").ok());
  Status s = check.Check(Page({""}, true, "t2"), "t2");
  EXPECT_NE(s.message().find("out of order"), std::string::npos) << s.message();
  PageCheck again("");
  EXPECT_FALSE(again.Check(Page({"", ""}, false), "").ok());
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

// Tokens that go round (A, B, A, B ...) with new keys on every page: not
// an immediate repeat, yet the listing would never end.
TEST(PageCheck, ATokenCycleStops) {
  PageCheck check("");
  Status s;
  int page = 0;
  for (; s.ok() && page < 100; ++page) {
    const std::string token = page % 2 == 0 ? "A" : "B";
    s = check.Check(Page({"k" + std::to_string(1000 + page)}, true, token), token);
  }
  EXPECT_LE(page, 4);
  EXPECT_NE(s.message().find("went round in a cycle"), std::string::npos) << s.message();
}

// A cycle of any length is seen, within a few times its length.
TEST(PageCheck, ALongTokenCycleStops) {
  for (int length : {3, 7, 100}) {
    PageCheck check("");
    Status s;
    int page = 0;
    for (; s.ok() && page < 10 * length; ++page) {
      const std::string token = "t" + std::to_string(page % length);
      s = check.Check(Page({"k" + std::to_string(100000 + page)}, true, token), token);
    }
    EXPECT_LE(page, 4 * length) << length;
    EXPECT_NE(s.message().find("went round in a cycle"), std::string::npos) << s.message();
  }
}

// Many pages of new tokens are no cycle.
TEST(PageCheck, NewTokensNeverLookLikeACycle) {
  PageCheck check("");
  for (int page = 0; page < 5000; ++page) {
    const std::string token = "t" + std::to_string(page);
    ASSERT_TRUE(check.Check(Page({"k" + std::to_string(100000 + page)}, true, token), token).ok())
        << page;
  }
}

// A listing stops past twice the bucket's count and a margin, keys and
// folders each; the operator's limit wins; without a count, the default.
TEST(ListBudget, StopsPastWhatTheBucketCanHold) {
  auto budget = std::make_shared<ListBudget>(5, 0);
  EXPECT_EQ(budget->limit(), 10 + ListBudget::kMargin);
  PageCheck check("", "", budget);
  uint64_t taken = 0;
  Status s;
  while (s.ok() && taken < 1'000'000) {
    char key[16];
    std::snprintf(key, sizeof key, "k%09llu", static_cast<unsigned long long>(taken++));
    s = check.CheckKey(key);
  }
  EXPECT_EQ(taken, budget->limit() + 1);
  EXPECT_TRUE(budget->exhausted());
  EXPECT_NE(s.message().find("X-RGW-Object-Count"), std::string::npos) << s.message();

  EXPECT_EQ(ListBudget(5, 7).limit(), 7u);
  EXPECT_EQ(ListBudget(std::nullopt, 0).limit(), ListBudget::kDefaultLimit);
  EXPECT_EQ(ListBudget(UINT64_MAX - 1, 0).limit(), UINT64_MAX);  // no overflow
}

// Every listing of a bucket shares one budget: partitions that each look
// right still end together.
TEST(ListBudget, IsSharedByTheListingsOfABucket) {
  auto budget = std::make_shared<ListBudget>(std::nullopt, 3);
  PageCheck a("a/", "", budget), b("b/", "", budget);
  EXPECT_TRUE(a.CheckKey("a/1").ok());
  EXPECT_TRUE(b.CheckKey("b/1").ok());
  EXPECT_TRUE(a.CheckKey("a/2").ok());
  EXPECT_FALSE(b.CheckKey("b/2").ok());
  EXPECT_FALSE(a.TakeEntries(1).ok());  // unfinished uploads count too
}

}  // namespace
}  // namespace gwsync::s3
