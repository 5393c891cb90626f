// The settings a backup keeps load back in the order a restore applies them,
// and a restored policy names the new bucket.
#include "session/bucket_settings.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace gwsync::session {
namespace {

namespace fs = std::filesystem;

TEST(BucketSettingsTest, PolicyNamesTheRestoredBucket) {
  std::string policy = R"({"Statement":[{"Resource":["arn:aws:s3:::logs","arn:aws:s3:::logs/*",)"
                       R"("arn:aws:s3:::logs2/*","arn:aws:s3:::other/logs"]}]})";
  EXPECT_EQ(
      RenamePolicyBucket(policy, "logs", "logs-restored"),
      R"({"Statement":[{"Resource":["arn:aws:s3:::logs-restored",)"
      R"("arn:aws:s3:::logs-restored/*","arn:aws:s3:::logs2/*","arn:aws:s3:::other/logs"]}]})");
  EXPECT_EQ(RenamePolicyBucket(policy, "logs", "logs"), policy);
  EXPECT_EQ(RenamePolicyBucket(policy, "", "x"), policy);  // source unknown: as saved
}

TEST(BucketSettingsTest, AclOwnerBecomesTheRestoringUser) {
  std::string saved =
      "<AccessControlPolicy><Owner><ID>alice</ID><DisplayName>Alice</DisplayName></Owner>"
      "<AccessControlList><Grant><Grantee><URI>http://acs.amazonaws.com/groups/global/AllUsers"
      "</URI></Grantee><Permission>READ</Permission></Grant>"
      "<Grant><Grantee><ID>carol</ID><DisplayName>Carol</DisplayName></Grantee>"
      "<Permission>WRITE</Permission></Grant>"
      "<Grant><Grantee><ID>alice</ID><DisplayName>Alice</DisplayName></Grantee>"
      "<Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>";
  std::string current =
      "<AccessControlPolicy><Owner><ID>bob</ID><DisplayName>Bob</DisplayName></Owner>"
      "<AccessControlList/></AccessControlPolicy>";
  EXPECT_EQ(RenameAclOwner(saved, current),
            "<AccessControlPolicy><Owner><ID>bob</ID><DisplayName>Bob</DisplayName></Owner>"
            "<AccessControlList><Grant><Grantee><URI>http://acs.amazonaws.com/groups/global/"
            "AllUsers</URI></Grantee><Permission>READ</Permission></Grant>"
            "<Grant><Grantee><ID>carol</ID><DisplayName>Carol</DisplayName></Grantee>"
            "<Permission>WRITE</Permission></Grant>"
            "<Grant><Grantee><ID>bob</ID><DisplayName>Bob</DisplayName></Grantee>"
            "<Permission>FULL_CONTROL</Permission></Grant></AccessControlList>"
            "</AccessControlPolicy>");
  EXPECT_EQ(RenameAclOwner(saved, saved), saved);  // the same owner: as saved
  EXPECT_EQ(RenameAclOwner(saved, "garbage"), saved);
}

TEST(BucketSettingsTest, LoadsInApplyOrder) {
  fs::path root = fs::temp_directory_path() / ("gwsync-settings-" + std::to_string(getpid()));
  fs::create_directories(root / kBucketSettingsDir);
  auto write = [&](const std::string& name, const std::string& body) {
    std::ofstream(root / kBucketSettingsDir / name) << body;
  };
  write("acl.xml", "<AccessControlPolicy/>");
  write("policy.json", "{}");
  write("versioning.xml", "<VersioningConfiguration/>");
  write("object-lock.xml", "<ObjectLockConfiguration/>");
  write("name", "src\n");
  auto saved = LoadBucketSettings(root.string());
  ASSERT_TRUE(saved.ok());
  std::vector<std::string> names;
  for (const auto& [name, body] : saved->settings) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"versioning", "object-lock", "policy", "acl"}));
  EXPECT_TRUE(saved->object_lock());
  EXPECT_EQ(saved->bucket, "src");
  fs::remove_all(root);

  auto none = LoadBucketSettings(root.string());  // no backup folder: nothing to apply
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->settings.empty());
}

}  // namespace
}  // namespace gwsync::session
