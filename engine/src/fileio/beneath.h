// Opening a path beneath a folder handle with no symbolic link in any of
// its components, so that a folder swapped for a link while gwsync runs
// (`mv sub sub.real; ln -s /root/secret sub`) cannot lead it out of the
// tree it was given: openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
// where the kernel has it (Linux 5.6), else a walk from the handle, one
// folder at a time, each opened O_NOFOLLOW | O_DIRECTORY. Stateless; any
// thread.
#pragma once

#include <optional>
#include <string_view>

namespace gwsync::fileio {

enum class Resolver {
  kOpenat2,  // one openat2 call
  kWalk,     // a no-follow walk of folder handles: kernels before 5.6
};

// openat2 unless the kernel refuses it (ENOSYS on an old kernel, EPERM
// from a seccomp filter), probed once.
Resolver DefaultResolver();
// Makes DefaultResolver answer `how` (nullopt: the probed one again), so
// tests cover the walk on a kernel that has openat2.
void ForceResolverForTesting(std::optional<Resolver> how);

// Opens `rel` ('/'-separated; no empty, "." or ".." segment; "" is the
// folder itself) beneath the folder `dir_fd` with `flags` (O_CLOEXEC is
// added). Returns the descriptor, or -1 with errno: ELOOP when a component
// (the last one too) is a symbolic link, EXDEV when `rel` would leave the
// folder, EINVAL for a malformed `rel`, what open(2) says otherwise.
int OpenBeneath(int dir_fd, std::string_view rel, int flags, Resolver how = DefaultResolver());

}  // namespace gwsync::fileio
