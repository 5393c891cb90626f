// One errno table for every module (fileio/errno_status.h): what a user acts
// on has its own code, which decides the message and the exit code.
#include "fileio/errno_status.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace gwsync::fileio {
namespace {

TEST(ErrnoStatusTest, EachErrnoItsCode) {
  const std::pair<int, StatusCode> table[] = {
      {ENOENT, StatusCode::kNotFound},
      {ENOTDIR, StatusCode::kNotFound},
      {EACCES, StatusCode::kPermissionDenied},
      {EPERM, StatusCode::kPermissionDenied},
      {ENOSPC, StatusCode::kResourceExhausted},
      {EDQUOT, StatusCode::kResourceExhausted},
      {EMFILE, StatusCode::kResourceExhausted},
      {ENFILE, StatusCode::kResourceExhausted},
      {ENOMEM, StatusCode::kResourceExhausted},
      {EOPNOTSUPP, StatusCode::kUnimplemented},
      {EIO, StatusCode::kInternal},
      {ELOOP, StatusCode::kInternal},
  };
  for (const auto& [err, code] : table) {
    EXPECT_EQ(ErrnoStatus("x", err).code(), code) << ErrnoText(err);
  }
}

TEST(ErrnoStatusTest, SaysWhatAndWhy) {
  Status s = ErrnoStatus("cannot write '/backup/f'", ENOSPC);
  EXPECT_EQ(s.message(), "cannot write '/backup/f': No space left on device");
}

}  // namespace
}  // namespace gwsync::fileio
