// A file that changes under its upload (`gwsync put`, a single file with no
// caller to check it): the failure it causes is said as the change, not as
// the gateway's BadDigest, and an upload that went through is not reported
// as sent. FakeS3 stands in for the gateway.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

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

}  // namespace
}  // namespace gwsync::transfer
