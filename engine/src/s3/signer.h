// Request signing: AWS Signature Version 4 (header auth, signed payload or
// UNSIGNED-PAYLOAD) and the legacy Signature Version 2 that older gateways and
// s3cmd's `signature_v2` use. Pure functions of their inputs (the time is
// passed in), safe from any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "http/request.h"
#include "s3/uri.h"

namespace gwsync::s3 {

struct Credentials {
  std::string access_key{};
  std::string secret_key{};
  std::string session_token{};  // optional: sent as x-amz-security-token
};

enum class SignatureVersion { kV2, kV4 };

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// SHA-256 of the empty string.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// What a signature covers. `headers` are the headers that will be sent, all of
// them signed, so put nothing there the transport drops or rewrites; the
// signer appends its own (x-amz-date, x-amz-content-sha256, Authorization ...).
struct SignableRequest {
  std::string method{};        // "GET"
  std::string host{};          // the Host header: "127.0.0.1:7480"
  std::string encoded_path{};  // as it appears in the URL: "/bucket/my%20key"
  QueryParams query{};         // decoded names and values
  http::Headers headers{};
  std::string payload_hash{};  // hex SHA-256 of the body, or kUnsignedPayload; "" = empty body
};

struct V4Scope {
  std::string region = "us-east-1";
  std::string service = "s3";
};

// The intermediate SigV4 texts, exposed for tests against AWS's vectors.
// When `add_content_sha256` is false the x-amz-content-sha256 header is
// not added (non-S3 services, as in AWS's generic test suite).
struct V4Trace {
  std::string canonical_request;
  std::string string_to_sign;
  std::string authorization;
};

// Signs `req` in place with SigV4: adds x-amz-date (and, for S3,
// x-amz-content-sha256 and x-amz-security-token when set), then Authorization
// covering host and every header present. Headers a previous signing added are
// replaced, so a retried request can be signed again. `encoded_path` is signed
// as given (S3 rules: no normalisation, no second encoding); the Host signed is
// `host` unless `headers` carries one. Returns the intermediate texts.
V4Trace SignV4(SignableRequest* req, const Credentials& creds, const V4Scope& scope,
               std::chrono::system_clock::time_point now, bool add_content_sha256 = true);

// Signs `req` in place with SigV2: adds a Date header (unless Date or x-amz-date
// is present; a Date the caller set is signed as is, so re-sign a retry from
// the unsigned request), x-amz-security-token when set, and
// "Authorization: AWS access:signature". The CanonicalizedResource is
// `encoded_path` plus the sub-resources in `query`, which assumes path-style
// addressing ("/bucket/key"). Returns the string to sign.
std::string SignV2(SignableRequest* req, const Credentials& creds,
                   std::chrono::system_clock::time_point now);

// "20150830T123600Z" and "Sun, 30 Aug 2015 12:36:00 GMT".
std::string AmzDate(std::chrono::system_clock::time_point t);
std::string HttpDate(std::chrono::system_clock::time_point t);

}  // namespace gwsync::s3
