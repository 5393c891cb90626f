// Operations over many objects of one bucket: walking a listing page by page
// and deleting by prefix in batches of 1000. Blocking; safe from any thread
// but the transport's.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "s3/client.h"

namespace gwsync::transfer {

// An entry of a listing, and what a delete did: the public surface's
// (gwsync/objects.h), whose functions these are behind.
using gwsync::DeleteStats;
using gwsync::ListVisit;

// Calls `visit` for each object under `prefix` in key order; without
// `recursive`, keys are grouped at the next '/' into common prefixes. Falls
// back to ListObjects V1 when the gateway does not know V2. Each page is
// checked (s3/listing.h) before any of it is visited.
Status ForEachObject(const s3::Client& client, const std::string& bucket, const std::string& prefix,
                     bool recursive, const std::function<Status(const ListVisit&)>& visit);

// Deletes every object under `prefix` (and aborts its unfinished multipart
// uploads when `uploads_too`), up to 1000 keys a request. Never a key outside
// the prefix: a listing that holds one stops it with DataLoss.
// `on_deleted` is told each key that was removed.
StatusOr<DeleteStats> DeletePrefix(const s3::Client& client, const std::string& bucket,
                                   const std::string& prefix, bool uploads_too,
                                   const std::function<void(const std::string&)>& on_deleted);

}  // namespace gwsync::transfer
