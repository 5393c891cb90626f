// Which row of `gwsync du` a key is counted in, and a listing that breaks
// the rules ends du with an error, never a loop or a wrong count.
#include "du/du.h"

#include <gtest/gtest.h>

#include "s3/url.h"
#include "support/fake_listing.h"

namespace gwsync::du {
namespace {

using gwsync::testing::FakeListing;

TEST(DuTest, KeysGoToTheirFirstLevelsOrToTheTop) {
  EXPECT_EQ(GroupOf("file", 1), "");
  EXPECT_EQ(GroupOf("a/b/c", 1), "a/");
  EXPECT_EQ(GroupOf("a/b/c", 2), "a/b/");
  EXPECT_EQ(GroupOf("a/b/c", 5), "a/b/");  // a file of a/b/ at any depth below
  EXPECT_EQ(GroupOf("a/f", 2), "a/");
  EXPECT_EQ(GroupOf("f", 3), "");
}

class DuListingTest : public ::testing::Test {
 protected:
  DuListingTest() : fake_(Keys(), 10) {
    s3::ClientOptions o;
    o.endpoint = *s3::ParseEndpoint("http://127.0.0.1:9");
    o.credentials.access_key = "AK";
    o.credentials.secret_key = "SK";
    client_ = std::make_unique<s3::Client>(&fake_, o);
  }
  static std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    for (int i = 0; i < 50; ++i) keys.push_back("d/" + std::to_string(100 + i));
    return keys;
  }
  FakeListing fake_;
  std::unique_ptr<s3::Client> client_;
};

TEST_F(DuListingTest, CountsEveryKeyOnce) {
  auto r = DiskUsage(*client_, "b", "", DuOptions());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->total.objects, 50u);
}

TEST_F(DuListingTest, KeysOutOfOrderAreAnError) {
  fake_.set_tamper([](const std::string&, const std::string&, const std::string& token,
                      FakeListing::Page* page) {
    if (!token.empty() && page->keys.size() > 1) std::swap(page->keys[0], page->keys[1]);
  });
  auto r = DiskUsage(*client_, "b", "", DuOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("out of order"), std::string::npos) << r.status().ToString();
}

TEST_F(DuListingTest, ATokenThatDoesNotChangeIsAnErrorNotALoop) {
  fake_.set_tamper([](const std::string&, const std::string&, const std::string& token,
                      FakeListing::Page* page) {
    if (token.empty()) return;
    page->truncated = true;
    page->next_token = token;
  });
  auto r = DiskUsage(*client_, "b", "", DuOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("continuation token"), std::string::npos)
      << r.status().ToString();
}

}  // namespace
}  // namespace gwsync::du
