// The types of one sync (sync/sync.h) as the session hands them on: its
// headers and files name them without the sync:: prefix.
#pragma once

#include "sync/sync.h"

namespace gwsync::session {

using sync::Location;
using sync::ManifestOptions;
using sync::SyncOptions;
using sync::SyncReport;

}  // namespace gwsync::session
