// The sides of `gwsync verify` and `gwsync du` as the user names them: a
// folder, a run manifest (a manifest file, a manifest-latest file), or
// s3://BUCKET[/PREFIX] / REMOTE:BUCKET[/PREFIX] through a session::Session's
// clients. Used from the caller's thread.
#pragma once

#include <string>

#include "manifest/manifest.h"
#include "plan/plan.h"
#include "session/session.h"
#include "verify/verify.h"

namespace gwsync::verify {

// InvalidArgument for a malformed name or every-bucket "s3://"; NotFound
// for a folder, manifest or bucket that does not exist. `header` (may be
// null) gets a manifest side's header (its `run` stays empty for the
// other kinds).
// `store_links`: a folder's links are objects NAME.rclonelink holding
// their target (a backup made with `sync --links`).
StatusOr<Side> OpenSide(const std::string& arg, session::Session& session,
                        const plan::Filter& filter, manifest::Header* header,
                        bool store_links = false);

}  // namespace gwsync::verify
