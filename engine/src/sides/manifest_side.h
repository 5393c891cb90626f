// A run manifest (manifest/manifest.h) as a side: its records streamed as
// entries, as a folder or bucket side streams its listing, so a backup's
// manifest can be compared with a bucket or folder without reading either
// whole. A manifest that turns out corrupt or cut short ends the stream
// with a read-error Problem. Reads on the caller's thread.
#pragma once

#include <memory>
#include <string>

#include "manifest/manifest.h"
#include "plan/plan.h"
#include "sides/stream.h"

namespace gwsync::sides {

// `path` names a manifest, a manifest-latest file or a folder with one
// (manifest::ResolveManifestPath). Entries get the record's size, mtime,
// mode and ETag (its MD5 when only that is known). `header` (may be null)
// gets the manifest's header.
StatusOr<std::unique_ptr<EntryStream>> OpenManifestStream(const std::string& path,
                                                          const plan::Filter& filter,
                                                          manifest::Header* header);

}  // namespace gwsync::sides
