// `rm -r s3://b/prefix/` deletes keys under the prefix and nothing else, even
// when the gateway's listing strays outside it.
#include "transfer/bulk.h"

#include <gtest/gtest.h>

#include "support/fake_listing.h"
#include "support/fake_s3.h"

namespace gwsync::transfer {
namespace {

using gwsync::testing::FakeListing;

std::unique_ptr<s3::Client> ClientOver(FakeListing* fake) {
  s3::ClientOptions o;
  o.endpoint = *s3::ParseEndpoint("http://127.0.0.1:9");
  o.credentials.access_key = "AK";
  o.credentials.secret_key = "SK";
  return std::make_unique<s3::Client>(fake, o);
}

TEST(DeletePrefixTest, DeletesOnlyUnderThePrefix) {
  FakeListing fake({"keep", "tmp/a", "tmp/b", "tmpfile", "zz"});
  auto client = ClientOver(&fake);
  auto stats = DeletePrefix(*client, "b", "tmp/", false, nullptr);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->deleted, 2u);
  EXPECT_EQ(fake.deleted(), (std::vector<std::string>{"tmp/a", "tmp/b"}));
}

TEST(DeletePrefixTest, AListingOutsideThePrefixDeletesNothingOutside) {
  FakeListing fake({"etc/passwd", "tmp/a", "tmp/b"});
  fake.set_tamper(
      [](const std::string&, const std::string&, const std::string&, FakeListing::Page* page) {
        page->keys.insert(page->keys.begin() + 1, "etc/passwd");  // a gateway that strays
      });
  auto client = ClientOver(&fake);
  auto stats = DeletePrefix(*client, "b", "tmp/", false, nullptr);
  EXPECT_FALSE(stats.ok());
  EXPECT_NE(stats.status().message().find("etc/passwd"), std::string::npos)
      << stats.status().ToString();
  EXPECT_NE(stats.status().message().find("outside 'tmp/'"), std::string::npos)
      << stats.status().ToString();
  for (const auto& k : fake.deleted()) EXPECT_TRUE(k.starts_with("tmp/")) << k;
}

// A recursive listing has no folders; one a gateway sends anyway is skipped
// (it used to be taken for an object and crash the deletion).
TEST(DeletePrefixTest, AFolderInARecursiveListingIsSkipped) {
  FakeListing fake({"tmp/a", "tmp/b"});
  fake.set_tamper([](const std::string&, const std::string&, const std::string&,
                     FakeListing::Page* page) { page->prefixes.push_back("tmp/c/"); });
  auto client = ClientOver(&fake);
  auto stats = DeletePrefix(*client, "b", "tmp/", false, nullptr);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(fake.deleted(), (std::vector<std::string>{"tmp/a", "tmp/b"}));
}

// The stray key is refused with the page that holds it: nothing of that
// page is deleted, not even the keys before it that are under the prefix.
TEST(DeletePrefixTest, APageWithAStrayKeyDeletesNothingOfIt) {
  FakeListing fake({"tmp/a", "tmp/b", "tmp/c"});
  fake.set_tamper([](const std::string&, const std::string&, const std::string&,
                     FakeListing::Page* page) { page->keys.push_back("zz/elsewhere"); });
  auto client = ClientOver(&fake);
  auto stats = DeletePrefix(*client, "b", "tmp/", false, nullptr);
  EXPECT_FALSE(stats.ok());
  EXPECT_NE(stats.status().message().find("zz/elsewhere"), std::string::npos)
      << stats.status().ToString();
  EXPECT_TRUE(fake.deleted().empty());
}

// `ls` (not recursive) lists a level's folders; one that is not a folder of
// the level (the level itself, as a hostile gateway may send it) ends the
// listing, as it ends every other listing by folders.
TEST(ForEachObjectTest, AFolderThatIsTheLevelItselfEndsTheListing) {
  FakeListing fake({"tmp/a", "tmp/b/c"});
  fake.set_tamper(
      [](const std::string&, const std::string&, const std::string&, FakeListing::Page* page) {
        page->prefixes.insert(page->prefixes.begin(), "tmp/");
      });
  auto client = ClientOver(&fake);
  std::vector<std::string> seen;
  Status s = ForEachObject(*client, "b", "tmp/", false, [&](const ListVisit& v) {
    seen.push_back(v.object ? v.object->key : *v.prefix);
    return Status::Ok();
  });
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not a folder of 'tmp/'"), std::string::npos) << s.ToString();
  EXPECT_TRUE(seen.empty());
}

// rm -r --uploads: the unfinished uploads under the prefix are aborted on
// every page of them, the others left.
TEST(DeletePrefixTest, AbortsUploadsUnderThePrefixOverPages) {
  gwsync::testing::FakeS3 fake;
  fake.CreateBucket("b");
  fake.set_uploads_page_size(2);
  s3::Client client(&fake, gwsync::testing::FakeS3::ClientOptions());
  for (const char* key : {"tmp/a", "tmp/b", "tmp/b", "tmp/c", "zz"}) {
    auto id =
        s3::Wait<std::string>([&](auto done) { client.CreateMultipartUpload("b", key, {}, done); });
    ASSERT_TRUE(id.ok()) << id.status().ToString();
  }
  auto stats = DeletePrefix(client, "b", "tmp/", true, nullptr);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(fake.UploadsInProgress("b"), 1u);  // zz's
  EXPECT_GE(fake.CountOp("ListMultipartUploads"), 2);
  fake.Stop();  // before the client it calls back into
}

}  // namespace
}  // namespace gwsync::transfer
