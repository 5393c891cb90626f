#include "s3/errors.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "s3/xml.h"

namespace gwsync::s3 {
namespace {

// How a known code reads in a message.
enum class Style {
  kPlain,        // "<phrase> (Code, HTTP n, ...)"
  kCodeInline,   // "<phrase>: Code (HTTP n, ...)"
  kWithMessage,  // "<phrase>: <gateway's message> (Code, HTTP n, ...)"
};

struct KnownCode {
  std::string_view code;
  StatusCode status;
  std::string_view phrase;
  Style style;
};

// S3 codes whose meaning does not depend on the HTTP status they came with.
// Besides AWS's list, QuotaExceeded (Ceph RGW, sent as 403), ExpiredToken,
// InvalidToken and UserSuspended are mapped to what they mean.
constexpr KnownCode kKnownCodes[] = {
    {"NoSuchBucket", StatusCode::kNotFound, "does not exist", Style::kPlain},
    {"NoSuchKey", StatusCode::kNotFound, "no such key", Style::kPlain},
    {"NoSuchUpload", StatusCode::kNotFound,
     "no such multipart upload (it was completed or aborted)", Style::kPlain},
    {"AccessDenied", StatusCode::kPermissionDenied, "access denied", Style::kPlain},
    {"SignatureDoesNotMatch", StatusCode::kPermissionDenied,
     "the secret key does not match the access key", Style::kPlain},
    {"InvalidAccessKeyId", StatusCode::kPermissionDenied, "unknown access key", Style::kPlain},
    {"RequestTimeTooSkewed", StatusCode::kPermissionDenied,
     "the local clock is too far from the gateway's (check NTP)", Style::kPlain},
    {"ExpiredToken", StatusCode::kPermissionDenied, "the session token has expired", Style::kPlain},
    {"InvalidToken", StatusCode::kPermissionDenied, "the session token is invalid", Style::kPlain},
    {"UserSuspended", StatusCode::kPermissionDenied, "the user is suspended", Style::kPlain},
    {"BucketAlreadyExists", StatusCode::kAlreadyExists,
     "already exists and belongs to another account", Style::kPlain},
    {"BucketAlreadyOwnedByYou", StatusCode::kAlreadyExists, "already exists and is yours",
     Style::kPlain},
    {"BucketNotEmpty", StatusCode::kFailedPrecondition, "the bucket is not empty", Style::kPlain},
    {"PreconditionFailed", StatusCode::kFailedPrecondition, "precondition failed", Style::kPlain},
    {"SlowDown", StatusCode::kUnavailable, "gateway is throttling", Style::kCodeInline},
    {"TooManyRequests", StatusCode::kUnavailable, "gateway is throttling", Style::kCodeInline},
    {"ServiceUnavailable", StatusCode::kUnavailable, "gateway is unavailable", Style::kCodeInline},
    {"RequestTimeout", StatusCode::kUnavailable,
     "the gateway timed out waiting for the request body", Style::kPlain},
    {"EntityTooLarge", StatusCode::kResourceExhausted, "request body too large", Style::kPlain},
    {"QuotaExceeded", StatusCode::kResourceExhausted, "quota exceeded", Style::kPlain},
    {"BadDigest", StatusCode::kDataLoss, "the data was corrupted in transit (checksum mismatch)",
     Style::kPlain},
    {"InvalidDigest", StatusCode::kDataLoss, "the Content-MD5 sent is not valid", Style::kPlain},
    {"XAmzContentSHA256Mismatch", StatusCode::kDataLoss,
     "the data was corrupted in transit (SHA-256 mismatch)", Style::kPlain},
    {"InvalidArgument", StatusCode::kInvalidArgument, "invalid argument", Style::kWithMessage},
    {"InvalidRequest", StatusCode::kInvalidArgument, "invalid request", Style::kWithMessage},
    {"MalformedXML", StatusCode::kInvalidArgument, "the gateway rejected the XML body",
     Style::kWithMessage},
    {"InvalidBucketName", StatusCode::kInvalidArgument, "invalid bucket name", Style::kPlain},
    {"InvalidRange", StatusCode::kInvalidArgument, "the requested range is not satisfiable",
     Style::kPlain},
    {"EntityTooSmall", StatusCode::kInvalidArgument,
     "a multipart part is smaller than the gateway's minimum", Style::kPlain},
    {"InvalidPart", StatusCode::kInvalidArgument, "a part is missing or its ETag does not match",
     Style::kPlain},
    {"InvalidPartOrder", StatusCode::kInvalidArgument, "parts are not in ascending order",
     Style::kPlain},
    {"MissingContentLength", StatusCode::kInvalidArgument, "missing Content-Length", Style::kPlain},
    {"NotImplemented", StatusCode::kUnimplemented, "the gateway does not implement this request",
     Style::kWithMessage},
    {"InternalError", StatusCode::kInternal, "gateway internal error", Style::kPlain},
};

constexpr size_t kMaxGatewayText = 240;

const KnownCode* FindKnown(std::string_view code) {
  for (const KnownCode& k : kKnownCodes) {
    if (k.code == code) return &k;
  }
  return nullptr;
}

StatusCode CodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
    case 411:
    case 416:
      return StatusCode::kInvalidArgument;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 409:
    case 412:
      return StatusCode::kFailedPrecondition;
    case 413:
      return StatusCode::kResourceExhausted;
    case 429:
    case 503:
      return StatusCode::kUnavailable;
    case 504:
      return StatusCode::kDeadlineExceeded;
    default:
      return http_status >= 500 && http_status < 600 ? StatusCode::kInternal : StatusCode::kUnknown;
  }
}

std::string_view PhraseForHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
      return "bad request";
    case 403:
      return "access denied";
    case 404:
      return "not found";
    case 405:
      return "method not allowed";
    case 409:
      return "conflict";
    case 411:
      return "length required";
    case 412:
      return "precondition failed";
    case 413:
      return "request body too large";
    case 416:
      return "the requested range is not satisfiable";
    case 429:
      return "gateway is throttling";
    case 500:
      return "gateway internal error";
    case 501:
      return "the gateway does not implement this request";
    case 502:
      return "bad gateway (a proxy could not reach the gateway)";
    case 503:
      return "gateway is unavailable";
    case 504:
      return "gateway timeout (a proxy gave up waiting for the gateway)";
    default:
      if (http_status >= 300 && http_status < 400) return "unexpected redirect";
      return "unexpected response";
  }
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Text from the gateway made safe for a one-line message: control characters
// become spaces, runs of spaces collapse, and the result is capped at `max`
// bytes without splitting a UTF-8 sequence.
std::string OneLine(std::string_view text, size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max + 3));
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    bool space = c < 0x20 || c == 0x7F || c == ' ';
    if (space) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(ch);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out += "...";
  }
  return out;
}

}  // namespace

// Whether any header is S3's own (x-amz-request-id, moto's x-amzn-requestid).
bool HasAmzHeader(const http::Response& response) {
  for (const auto& [name, value] : response.headers) {
    if (name.size() >= 5 && std::equal(name.begin(), name.begin() + 5, "x-amz",
                                       [](char a, char b) { return std::tolower(a) == b; })) {
      return true;
    }
  }
  return false;
}

StatusCode CodeForS3Error(std::string_view s3_code, int http_status) {
  if (const KnownCode* k = FindKnown(s3_code)) return k->status;
  return CodeForHttpStatus(http_status);
}

Status StatusFromS3Error(const S3ErrorBody& error, int http_status, std::string_view resource) {
  std::string code(Trim(error.code));
  std::string shown_code = OneLine(code, 64);
  std::string gateway_message = OneLine(error.message, kMaxGatewayText);
  std::string request_id(Trim(error.request_id));
  const KnownCode* known = FindKnown(code);

  std::string msg(resource);
  if (!msg.empty()) msg += ": ";
  bool code_in_details = !code.empty();
  if (known) {
    if (known->code == "NoSuchBucket" && !resource.starts_with("bucket ")) {
      msg += "the bucket ";
    }
    msg += known->phrase;
    if (known->style == Style::kCodeInline) {
      msg += ": " + shown_code;
      code_in_details = false;
    } else if (known->style == Style::kWithMessage && !gateway_message.empty()) {
      msg += ": " + gateway_message;
    }
  } else if (!gateway_message.empty()) {
    msg += gateway_message;
  } else {
    msg += PhraseForHttpStatus(http_status);
  }

  std::string details;
  auto add = [&details](std::string_view part) {
    if (!details.empty()) details += ", ";
    details += part;
  };
  if (code_in_details) add(shown_code);
  if (http_status > 0) add("HTTP " + std::to_string(http_status));
  if (!request_id.empty()) add("request id " + OneLine(request_id, 128));
  if (!details.empty()) msg += " (" + details + ")";

  Status status(CodeForS3Error(code, http_status), std::move(msg));
  status.WithS3(http_status, std::move(code), std::move(request_id));
  return status;
}

Status StatusFromResponse(const http::Response& response, std::string_view resource,
                          std::string_view endpoint) {
  std::string_view header_request_id = response.header("x-amz-request-id");
  if (!response.transport.ok()) {
    Status s = resource.empty() ? response.transport : response.transport.Annotate(resource);
    if (s.http_status() == 0 && response.status != 0) {
      s.WithS3(response.status, s.s3_code(), std::string(header_request_id));
    }
    return s;
  }
  if (response.status >= 200 && response.status < 300) return Status::Ok();

  S3ErrorBody error;
  if (response.body.empty() || !xml::ParseError(response.body, &error)) {
    error = S3ErrorBody{};  // a HEAD reply, or a proxy's HTML page
  }
  if (!endpoint.empty() && Trim(error.code).empty() && !HasAmzHeader(response) &&
      (response.status == 404 || response.status == 405 || response.status == 501)) {
    Status s(StatusCode::kFailedPrecondition, std::string(endpoint) + ": not an S3 gateway (HTTP " +
                                                  std::to_string(response.status) +
                                                  " without an S3 error body)");
    s.WithS3(response.status, "", "");
    return s;
  }
  if (Trim(error.request_id).empty()) error.request_id = std::string(header_request_id);
  return StatusFromS3Error(error, response.status, resource);
}

}  // namespace gwsync::s3
