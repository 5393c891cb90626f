// The manifest of a sync's destination, written after the run: the
// destination is walked again in key order (its own stream, bounded memory)
// and each key joined with what the index remembers of it (the ETag it was
// synced with), then written with manifest::Writer to
// DST/.gwsync/manifest-RUN.jsonl.zst and named by DST/.gwsync/manifest-latest,
// or to options.manifest.path. Used from the caller's thread.
#pragma once

#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "session/sync_names.h"

namespace gwsync::session {

// Writes the manifest when `options.manifest` asks for one for this kind of
// destination (and not for a dry run). Returns where it went, or "" when
// none was asked for.
StatusOr<std::string> WriteRunManifest(const Location& src, const Location& dst,
                                       const SyncOptions& options, uint64_t sync_errors);

// Joins the manifests the shares of one sharded sync wrote into a folder
// (`paths`, in share order, so their keys ascend from one to the next) into
// one manifest of the whole beside the first, and points manifest-latest at
// it; returns its path. Streamed: memory does not grow with the keys. The
// header is the first share's with a new run id and the shares' sync errors
// added up. Manifests of another sync, or whose keys overlap, are refused.
StatusOr<std::string> JoinShareManifests(const std::vector<std::string>& paths);

// The file name of the manifest of the run `header` names
// ("manifest-RUN.jsonl.zst").
std::string ManifestFileName(const manifest::Header& header);

// How a side is named in a manifest's header: a folder's path, or
// "s3://bucket/prefix" (the endpoint is in `endpoint`).
std::string SideName(const Location& loc, std::string* endpoint);

}  // namespace gwsync::session
