// The remotes file (`REMOTE:BUCKET` sides): sections of
// ~/.config/gwsync/remotes.conf, shared by the commands that take remotes.
#pragma once

#include <map>
#include <string>

#include "sync/session.h"

namespace gwsync::cli {

// Reads "[NAME]" sections with endpoint/access_key/secret_key/signature/
// region (config::ReadRemotesFile); a missing file is empty unless
// `must_exist`.
StatusOr<std::map<std::string, sync::RemoteCluster>> ReadRemotes(const std::string& path,
                                                                 bool must_exist);
// $GWSYNC_REMOTES, else $XDG_CONFIG_HOME or ~/.config, /gwsync/remotes.conf.
std::string DefaultRemotesPath();

}  // namespace gwsync::cli
