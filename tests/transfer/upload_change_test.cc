// A file that changes under its upload (`gwsync put`, a single file with no
// caller to check it): the failure it causes is said as the change, not as
// the gateway's BadDigest, and an upload that went through is not reported
// as sent. FakeS3 stands in for the gateway.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "hash/hash.h"
#include "support/fake_s3.h"
#include "support/gateway.h"
#include "transfer/object_transfer.h"

namespace gwsync::transfer {
namespace {

using testing::FakeS3;
using testing::RandomBytes;
using testing::TempDir;
using testing::WriteFile;

class UploadChangeTest : public ::testing::Test {
 protected:
  UploadChangeTest() : client_(&gateway_, FakeS3::ClientOptions()) {
    gateway_.CreateBucket("b");
    WriteFile(path_, RandomBytes(11 << 20, 3));
    options_.part_size = 5 << 20;
    options_.multipart_threshold = 5 << 20;
    // Once the upload has begun, the file is written in place.
    gateway_.OnRequest([this](const testing::S3Call& call) {
      if (call.op != "CreateMultipartUpload") return;
      int fd = open(path_.c_str(), O_WRONLY);
      ASSERT_GE(fd, 0);
      ASSERT_EQ(pwrite(fd, "changed", 7, 6 << 20), 7);
      close(fd);
    });
  }
  void TearDown() override { gateway_.Stop(); }

  FakeS3 gateway_;
  s3::Client client_;
  TempDir dir_;
  const std::string path_ = dir_.File("dump.sql");
  TransferOptions options_;
};

TEST_F(UploadChangeTest, ABadDigestCausedByTheChangeNamesTheChange) {
  gateway_.Fail(FakeS3::Op("UploadPart"), {400, "BadDigest", Status::Ok(), -1});
  auto up = UploadFile(client_, path_, "b", "dump.sql", options_);
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(up.status().message().rfind("'" + path_ + "' changed while it was read", 0), 0u)
      << up.status().message();
}

TEST_F(UploadChangeTest, AnUploadThatWentThroughIsNotReportedAsSent) {
  auto up = UploadFile(client_, path_, "b", "dump.sql", options_);
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.status().message(), "'" + path_ + "' changed while it was read");
}

// The same upload of a file left alone: the xxh3 its records keep is the
// file's, taken in the parts' own reads (three parts, hashed on workers in
// whatever order they come).
TEST(UploadXxh3Test, AMultipartUploadTakesTheFilesXxh3) {
  FakeS3 gateway;
  s3::Client client(&gateway, FakeS3::ClientOptions());
  gateway.CreateBucket("b");
  TempDir dir;
  const std::string path = dir.File("dump.sql"), bytes = RandomBytes((11 << 20) + 5, 4);
  WriteFile(path, bytes);
  TransferOptions options;
  options.part_size = 5 << 20;
  options.multipart_threshold = 5 << 20;
  auto up = UploadFile(client, path, "b", "dump.sql", options);
  gateway.Stop();
  ASSERT_TRUE(up.ok()) << up.status().message();
  EXPECT_EQ(up->parts, 3);
  EXPECT_EQ(up->xxh3, hash::Xxh3Hex(bytes));
}

}  // namespace
}  // namespace gwsync::transfer
