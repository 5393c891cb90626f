// Percent-encoding exactly as S3 and SigV4 expect it: every byte outside
// RFC 3986's unreserved set (A-Z a-z 0-9 - _ . ~) becomes %XX (upper-case hex).
// Pure functions, safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gwsync::s3 {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// `encode_slash` false keeps '/' as is (object keys in paths).
std::string UriEncode(std::string_view s, bool encode_slash);

// Decodes %XX sequences, either hex case (and nothing else: '+' stays '+').
// Returns false, leaving *out untouched, on a malformed or truncated escape.
bool UriDecode(std::string_view s, std::string* out);

// "a=1&b=&c=x%20y": names and values encoded, pairs sorted by encoded name then
// value (the SigV4 canonical query string, also fine as a URL's query).
// A pair with an empty value renders as "name=".
std::string CanonicalQuery(const QueryParams& params);

}  // namespace gwsync::s3
