// What a program sees of the public surface before any request goes out:
// Gateway::Open's errors and endpoints, and the checks of Copy and
// DeleteObject that need no gateway. Only public headers: the test is a
// program using the library.
#include "gwsync/gateway.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "gwsync/copy.h"
#include "gwsync/objects.h"

namespace gwsync {
namespace {

class OpenGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Nothing from the process's environment or the user's ~/.s3cfg.
    for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                             "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_CA_BUNDLE"}) {
      unsetenv(name);
    }
    options_.config_file = "/dev/null";
    options_.access_key = "AK";
    options_.secret_key = "SK";
    // Nothing listens there: opening sends nothing.
    options_.endpoints = {"http://127.0.0.1:1", "127.0.0.1:2"};
  }
  GatewayOptions options_;
};

TEST_F(OpenGatewayTest, OpensWithoutSendingAndNamesItsEndpoints) {
  auto gateway = Gateway::Open(options_);
  ASSERT_TRUE(gateway.ok()) << gateway.status().ToString();
  EXPECT_EQ((*gateway)->endpoints(),
            (std::vector<std::string>{"http://127.0.0.1:1", "http://127.0.0.1:2"}));
}

TEST_F(OpenGatewayTest, WithoutCredentialsIsInvalidArgument) {
  options_.secret_key.clear();
  auto gateway = Gateway::Open(options_);
  ASSERT_FALSE(gateway.ok());
  EXPECT_EQ(gateway.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(gateway.status().message().find("no credentials"), std::string::npos);
}

TEST_F(OpenGatewayTest, ASmallPartSizeOrAMissingCaBundleIsInvalidArgument) {
  GatewayOptions small = options_;
  small.part_size = "1MiB";
  auto gateway = Gateway::Open(small);
  ASSERT_FALSE(gateway.ok());
  EXPECT_EQ(gateway.status().message(),
            "--part-size must be at least 5MiB (the S3 minimum part size)");

  GatewayOptions tls = options_;
  tls.ca_bundle = "/nonexistent/ca.pem";
  gateway = Gateway::Open(tls);
  ASSERT_FALSE(gateway.ok());
  EXPECT_EQ(gateway.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(OpenGatewayTest, DeleteObjectWantsAKey) {
  auto gateway = Gateway::Open(options_);
  ASSERT_TRUE(gateway.ok()) << gateway.status().ToString();
  Status s = DeleteObject(**gateway, S3Url{"bucket", ""});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

TEST(CheckCopyTest, OneSideIsABucketAndALocalSourceIsReadable) {
  EXPECT_EQ(CheckCopy({.source = "a", .destination = "b"}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckCopy({.source = "s3:/b", .destination = "f"}).code(),
            StatusCode::kInvalidArgument);
  Status missing = CheckCopy({.source = "/nonexistent/f", .destination = "s3://b/k"});
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "cannot read '/nonexistent/f': No such file or directory");
  EXPECT_TRUE(CheckCopy({.source = "-", .destination = "s3://b/k"}).ok());
  EXPECT_TRUE(CheckCopy({.source = "s3://b/k", .destination = "-"}).ok());
}

TEST(ParseS3UrlTest, BucketAndKeyAndBack) {
  auto url = ParseS3Url("s3://db_wal/a/b");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->bucket, "db_wal");
  EXPECT_EQ(url->key, "a/b");
  EXPECT_EQ(url->ToString(), "s3://db_wal/a/b");
  EXPECT_TRUE(IsS3Url("s3:/x"));
  EXPECT_FALSE(ParseS3Url("s3:/x").ok());
}

}  // namespace
}  // namespace gwsync
