// The response headers a gateway sends, read into plain values: an object's
// HEAD (sizes, ETag, metadata) and a bucket's (the object count RGW gives).
// Nothing a gateway sends is trusted: a number that is not one, or does not
// fit 64 bits, is an error or absent, never taken as 0 or cut short. Pure
// functions; any thread.
#pragma once

#include "gwsync/status.h"
#include "http/request.h"
#include "s3/types.h"

namespace gwsync::s3 {

struct ObjectHead;
struct BucketHead;

// Content-Length, Content-Range's full size ("bytes 0-9/1234"), ETag,
// Last-Modified, Content-Type, the content headers (Cache-Control,
// Content-Disposition, Content-Encoding, Content-Language, Expires),
// x-amz-tagging-count, x-amz-mp-parts-count and x-amz-meta-*.
// DataLoss when a size is not a number that fits 64 bits, a count not one
// that fits (a part count: up to 10,000), or a Content-Range not a range
// FIRST <= LAST < SIZE of a known size (http/range.h).
StatusOr<ObjectHead> HeadFromHeaders(const http::Response& r);

// X-RGW-Object-Count, when it is a number.
BucketHead BucketHeadFromHeaders(const http::Response& r);

}  // namespace gwsync::s3
