// A failed system call's errno as a Status, mapped in one place for every
// module that touches files: what a caller may act on (a missing file, a
// refused one, a full disk) gets its own code, the rest is Internal.
// Stateless; any thread.
#pragma once

#include <string>

#include "gwsync/status.h"

namespace gwsync::fileio {

// strerror's text for `err` (thread-safe).
std::string ErrnoText(int err);

// "what: strerror" with the code for `err`: ENOENT, ENOTDIR NotFound;
// EACCES, EPERM PermissionDenied; ENOSPC, EDQUOT (a full disk or quota) and
// ENOMEM, EMFILE, ENFILE (out of memory or descriptors) ResourceExhausted;
// ENOTSUP, EOPNOTSUPP Unimplemented; anything else Internal.
Status ErrnoStatus(const std::string& what, int err);

}  // namespace gwsync::fileio
