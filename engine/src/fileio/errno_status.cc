#include "fileio/errno_status.h"

#include <cerrno>
#include <cstring>

namespace gwsync::fileio {

std::string ErrnoText(int err) {
  char buf[256];
  return std::string(strerror_r(err, buf, sizeof(buf)));
}

Status ErrnoStatus(const std::string& what, int err) {
  StatusCode code = StatusCode::kInternal;
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      code = StatusCode::kNotFound;
      break;
    case EACCES:
    case EPERM:
      code = StatusCode::kPermissionDenied;
      break;
    case ENOSPC:
    case EDQUOT:
    case ENOMEM:
    case EMFILE:
    case ENFILE:
      code = StatusCode::kResourceExhausted;
      break;
    default:
      // NOLINTNEXTLINE(misc-redundant-expression): one value on Linux, two elsewhere
      if (err == ENOTSUP || err == EOPNOTSUPP) code = StatusCode::kUnimplemented;
  }
  return Status(code, what + ": " + ErrnoText(err));
}

}  // namespace gwsync::fileio
