// The remotes file (`REMOTE:BUCKET` sides of sync, verify and du): INI
// sections with endpoint (repeatable), access_key, secret_key, signature
// and region. Main thread only.
#pragma once

#include <map>
#include <string>

#include "sync/session.h"

namespace gwsync::cli {

// Reads "[NAME]" sections; a missing file is empty unless `must_exist`.
StatusOr<std::map<std::string, sync::RemoteCluster>> ReadRemotes(const std::string& path,
                                                                 bool must_exist);

// $GWSYNC_REMOTES, else $XDG_CONFIG_HOME/gwsync/remotes.conf, else
// ~/.config/gwsync/remotes.conf.
std::string DefaultRemotesPath();

}  // namespace gwsync::cli
