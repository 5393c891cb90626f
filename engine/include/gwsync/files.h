// Files as gwsync writes its own (a metrics file, a report): whole or not at
// all, and no temporary left behind when a signal stops the process.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "gwsync/status.h"

namespace gwsync {

// Writes `body` to `path` through a temporary file beside it: fsynced,
// given `mode`, then renamed into place. Writers of the same path at once
// each have their own temporary name; the last rename wins and no one ever
// reads half a file.
Status WriteFileAtomically(const std::string& path, std::string_view body, mode_t mode);

// The mode a new file gets from open(..., 0666): 0666 less the umask.
mode_t DefaultFileMode();

// When a signal stops the process at once (gwsync/interrupt.h), removes every
// live temporary file of gwsync's but the partial downloads kept for the next
// run. Call once, early in main, after StartInterruptThread.
void RemoveTempFilesOnSignals();

}  // namespace gwsync
