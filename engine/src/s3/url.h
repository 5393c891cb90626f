// Parsing of the names a user types: s3://bucket/key URLs and gateway
// endpoint URLs. Pure functions, safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "gwsync/status.h"
#include "gwsync/url.h"

namespace gwsync::s3 {

// S3 URLs are the public surface's (gwsync/url.h), defined in url.cc.
using gwsync::IsS3Url;
using gwsync::ParseS3Url;
using gwsync::S3Url;
// Bucket names as RGW accepts them (1-255 of A-Z a-z 0-9 . _ -); S3's stricter
// DNS rules are not enforced so that buckets like `db_wal` work.
Status ValidateBucketName(std::string_view bucket);

struct Endpoint {
  std::string scheme = "http";     // "http" or "https"
  std::string host;                // "127.0.0.1" or "[::1]"
  int port = 0;                    // 0: the scheme's default
  std::string HostHeader() const;  // "127.0.0.1:7480"
  std::string BaseUrl() const;     // "http://127.0.0.1:7480"
};

// Whether a request for `bucket` may name it in the host name at `endpoint`
// (virtual-host addressing, s3cmd's host_bucket = %(bucket)s.HOST). Like
// s3cmd, only a bucket that can be a DNS name (3-63 of a-z 0-9 . -, each
// label starting and ending with a letter or digit) qualifies, so `db_wal`
// goes path-style; so does every bucket on an IP address endpoint, which has
// no names under it, and a dotted bucket over https, which a wildcard
// certificate does not cover.
bool VirtualHostAddressable(std::string_view bucket, const Endpoint& endpoint);

// "http://127.0.0.1:7480", "https://gw.example", or "127.0.0.1:7480" (then
// `default_https` picks the scheme, as s3cmd's host_base does).
StatusOr<Endpoint> ParseEndpoint(std::string_view url, bool default_https = false);

}  // namespace gwsync::s3
