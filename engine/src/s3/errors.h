// Maps one HTTP exchange with a gateway onto a Status, once for the whole
// engine: 404 NoSuchKey -> NotFound, 403 -> PermissionDenied, 503 SlowDown ->
// Unavailable (retry with backoff), BadDigest -> DataLoss, and so on. The
// Status keeps the HTTP status, S3 error code and request id. Pure, any thread.
#pragma once

#include <string_view>

#include "gwsync/status.h"
#include "http/request.h"
#include "s3/types.h"

namespace gwsync::s3 {

// OK for a completed 2xx exchange; otherwise the transport error (annotated
// with `resource`), or the gateway's error mapped to a code, with a one-line
// message a user can act on, e.g. "s3://b/k: the secret key does not match
// the access key (SignatureDoesNotMatch, HTTP 403, request id tx0...)".
// `resource` names what was asked for ("bucket 'photos'", "s3://b/k"); with
// no <Error> body (HEAD, a proxy's HTML page) the HTTP status alone decides:
// "s3://b/k: not found (HTTP 404)". Header values never reach the message,
// except the request id.
//
// A reply no S3 gateway sends, a 404, 405 or 501 with neither an <Error>
// document nor any x-amz-* header (RGW, AWS, MinIO and moto send one with
// every reply, a HEAD's too), is a web server that is not S3 answering: it
// is FailedPrecondition, named after `endpoint` ("http://127.0.0.1:8000: not
// an S3 gateway (HTTP 404 without an S3 error body)"), not a missing bucket.
Status StatusFromResponse(const http::Response& response, std::string_view resource,
                          std::string_view endpoint = {});

// Whether any header of the reply is S3's own (x-amz-request-id, moto's
// x-amzn-requestid): every S3 gateway sends one with every reply.
bool HasAmzHeader(const http::Response& response);

// The Status for an <Error> document received with `http_status` (also used
// for an <Error> a gateway sends inside a 200 reply). The error's own request
// id is kept; `resource` prefixes the message as above.
Status StatusFromS3Error(const S3ErrorBody& error, int http_status, std::string_view resource);

// The code for an S3 error code and HTTP status (exposed for tests). A known
// S3 code decides; an unknown or empty one falls back on the HTTP status.
StatusCode CodeForS3Error(std::string_view s3_code, int http_status);

}  // namespace gwsync::s3
