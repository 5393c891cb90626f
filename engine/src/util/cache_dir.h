// Where gwsync keeps what it can rebuild (the index) and what lives only as
// long as a run (its locks). Safe from any thread.
#pragma once

#include <string>

namespace gwsync::util {

// $XDG_CACHE_HOME/gwsync when that is an absolute path, else
// ~/.cache/gwsync ($HOME, or the user's home in the password database).
std::string CacheDir();

}  // namespace gwsync::util
