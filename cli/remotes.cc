#include "cli/remotes.h"

#include "config/config.h"

namespace gwsync::cli {

StatusOr<std::map<std::string, sync::RemoteCluster>> ReadRemotes(const std::string& path,
                                                                 bool must_exist) {
  return config::ReadRemotesFile(path, must_exist);
}

std::string DefaultRemotesPath() { return config::DefaultRemotesPath(); }

}  // namespace gwsync::cli
