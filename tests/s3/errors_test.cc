#include "s3/errors.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace gwsync::s3 {
namespace {

http::Response MakeResponse(int status, std::string body = "", http::Headers headers = {}) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

std::string ErrorXml(std::string_view code, std::string_view message = "",
                     std::string_view request_id = "") {
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>";
  body += code;
  body += "</Code>";
  if (!message.empty()) body += "<Message>" + std::string(message) + "</Message>";
  if (!request_id.empty()) body += "<RequestId>" + std::string(request_id) + "</RequestId>";
  body += "<HostId>host</HostId></Error>";
  return body;
}

Status FromError(int http_status, std::string_view code, std::string_view resource = "s3://b/k") {
  return StatusFromResponse(MakeResponse(http_status, ErrorXml(code, "", "req-1")), resource);
}

TEST(StatusFromResponseTest, SuccessIsOk) {
  for (int status : {200, 201, 204, 206}) {
    SCOPED_TRACE(status);
    EXPECT_TRUE(StatusFromResponse(MakeResponse(status), "s3://b/k").ok());
  }
  // A 2xx body is the caller's to read, even when it is an <Error>.
  EXPECT_TRUE(StatusFromResponse(MakeResponse(200, ErrorXml("InternalError")), "s3://b/k").ok());
}

TEST(StatusFromResponseTest, TransportErrorIsAnnotatedWithResource) {
  http::Response r;
  r.transport = Unavailable("connection refused to 10.0.0.1:7480");
  Status s = StatusFromResponse(r, "s3://b/k");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "s3://b/k: connection refused to 10.0.0.1:7480");

  http::Response timeout;
  timeout.transport = Status(StatusCode::kDeadlineExceeded, "no data for 60s");
  EXPECT_EQ(StatusFromResponse(timeout, "bucket 'b'").code(), StatusCode::kDeadlineExceeded);
}

TEST(StatusFromResponseTest, EveryKnownS3CodeMapsToItsStatus) {
  struct Case {
    const char* code;
    int http;
    StatusCode want;
  };
  const Case cases[] = {
      {"NoSuchBucket", 404, StatusCode::kNotFound},
      {"NoSuchKey", 404, StatusCode::kNotFound},
      {"NoSuchUpload", 404, StatusCode::kNotFound},
      {"AccessDenied", 403, StatusCode::kPermissionDenied},
      {"SignatureDoesNotMatch", 403, StatusCode::kPermissionDenied},
      {"InvalidAccessKeyId", 403, StatusCode::kPermissionDenied},
      {"RequestTimeTooSkewed", 403, StatusCode::kPermissionDenied},
      {"BucketAlreadyExists", 409, StatusCode::kAlreadyExists},
      {"BucketAlreadyOwnedByYou", 409, StatusCode::kAlreadyExists},
      {"BucketNotEmpty", 409, StatusCode::kFailedPrecondition},
      {"PreconditionFailed", 412, StatusCode::kFailedPrecondition},
      {"SlowDown", 503, StatusCode::kUnavailable},
      {"ServiceUnavailable", 503, StatusCode::kUnavailable},
      {"RequestTimeout", 400, StatusCode::kUnavailable},
      {"TooManyRequests", 429, StatusCode::kUnavailable},
      {"EntityTooLarge", 400, StatusCode::kResourceExhausted},
      {"BadDigest", 400, StatusCode::kDataLoss},
      {"InvalidDigest", 400, StatusCode::kDataLoss},
      {"XAmzContentSHA256Mismatch", 400, StatusCode::kDataLoss},
      {"InvalidArgument", 400, StatusCode::kInvalidArgument},
      {"InvalidRequest", 400, StatusCode::kInvalidArgument},
      {"MalformedXML", 400, StatusCode::kInvalidArgument},
      {"InvalidBucketName", 400, StatusCode::kInvalidArgument},
      {"InvalidRange", 416, StatusCode::kInvalidArgument},
      {"EntityTooSmall", 400, StatusCode::kInvalidArgument},
      {"InvalidPart", 400, StatusCode::kInvalidArgument},
      {"InvalidPartOrder", 400, StatusCode::kInvalidArgument},
      {"MissingContentLength", 411, StatusCode::kInvalidArgument},
      {"NotImplemented", 501, StatusCode::kUnimplemented},
      {"InternalError", 500, StatusCode::kInternal},
      // Beyond AWS's list: Ceph RGW's quota error and STS token errors.
      {"QuotaExceeded", 403, StatusCode::kResourceExhausted},
      {"ExpiredToken", 400, StatusCode::kPermissionDenied},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    EXPECT_EQ(CodeForS3Error(c.code, c.http), c.want);
    // The S3 code decides whatever status it came with.
    EXPECT_EQ(CodeForS3Error(c.code, 400), c.want);
    Status s = FromError(c.http, c.code);
    EXPECT_EQ(s.code(), c.want) << s.ToString();
    EXPECT_EQ(s.http_status(), c.http);
    EXPECT_EQ(s.s3_code(), c.code);
    EXPECT_EQ(s.request_id(), "req-1");
    EXPECT_EQ(s.message().rfind("s3://b/k: ", 0), 0u) << s.message();
    EXPECT_NE(s.message().find("HTTP " + std::to_string(c.http)), std::string::npos);
    EXPECT_NE(s.message().find(c.code), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("request id req-1"), std::string::npos);
  }
}

TEST(StatusFromResponseTest, UnknownCodeFallsBackOnHttpStatus) {
  struct Case {
    int http;
    StatusCode want;
  };
  const Case cases[] = {
      {400, StatusCode::kInvalidArgument},
      {411, StatusCode::kInvalidArgument},
      {416, StatusCode::kInvalidArgument},
      {403, StatusCode::kPermissionDenied},
      {404, StatusCode::kNotFound},
      {409, StatusCode::kFailedPrecondition},
      {412, StatusCode::kFailedPrecondition},
      {413, StatusCode::kResourceExhausted},
      {429, StatusCode::kUnavailable},
      {503, StatusCode::kUnavailable},
      {504, StatusCode::kDeadlineExceeded},
      {500, StatusCode::kInternal},
      {501, StatusCode::kInternal},
      {502, StatusCode::kInternal},
      {599, StatusCode::kInternal},
      {301, StatusCode::kUnknown},
      {405, StatusCode::kUnknown},
      {418, StatusCode::kUnknown},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.http);
    EXPECT_EQ(CodeForS3Error("SomethingNew", c.http), c.want);
    EXPECT_EQ(CodeForS3Error("", c.http), c.want);
    EXPECT_EQ(FromError(c.http, "SomethingNew").code(), c.want);
    EXPECT_EQ(StatusFromResponse(MakeResponse(c.http), "s3://b/k").code(), c.want);
  }
}

TEST(StatusFromResponseTest, NoSuchKeyMessage) {
  Status s = StatusFromResponse(
      MakeResponse(404, ErrorXml("NoSuchKey", "The specified key does not exist.",
                                 "tx00000000000000000000b-0065f0a1b2-1030-default")),
      "s3://b/k");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(),
            "s3://b/k: no such key (NoSuchKey, HTTP 404, request id "
            "tx00000000000000000000b-0065f0a1b2-1030-default)");
}

TEST(StatusFromResponseTest, NoSuchBucketMessageRgwShape) {
  // Ceph RGW: no <Message>, a <BucketName>.
  const std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchBucket</Code>"
      "<BucketName>x</BucketName><RequestId>tx0000000000000000000a1-0065f0a1b2-1030-default"
      "</RequestId><HostId>1030-default-default</HostId></Error>";
  Status s = StatusFromResponse(MakeResponse(404, body), "bucket 'x'");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(),
            "bucket 'x': does not exist (NoSuchBucket, HTTP 404, request id "
            "tx0000000000000000000a1-0065f0a1b2-1030-default)");

  Status obj = StatusFromResponse(MakeResponse(404, body), "s3://x/k");
  EXPECT_EQ(obj.message().rfind("s3://x/k: the bucket does not exist (NoSuchBucket", 0), 0u)
      << obj.message();
}

TEST(StatusFromResponseTest, SignatureDoesNotMatchKeepsSigningDetailsOut) {
  // AWS's reply carries the string to sign and the access key id.
  const std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message><AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256
20240101T000000Z
20240101/us-east-1/s3/aws4_request
abc</StringToSign><SignatureProvided>deadbeef</SignatureProvided><CanonicalRequest>GET
/k
</CanonicalRequest><RequestId>4442587FB7D0A2F9</RequestId><HostId>host</HostId></Error>)";
  Status s = StatusFromResponse(MakeResponse(403, body), "s3://b/k");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "s3://b/k: the secret key does not match the access key (SignatureDoesNotMatch, "
            "HTTP 403, request id 4442587FB7D0A2F9)");
}

TEST(StatusFromResponseTest, InvalidAccessKeyIdMessage) {
  Status s = StatusFromResponse(
      MakeResponse(403, ErrorXml("InvalidAccessKeyId",
                                 "The AWS Access Key Id you provided does not exist in our "
                                 "records.",
                                 "r9")),
      "the bucket list");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "the bucket list: unknown access key (InvalidAccessKeyId, HTTP 403, request id r9)");
}

TEST(StatusFromResponseTest, SlowDownIsTransientThrottling) {
  Status s = StatusFromResponse(
      MakeResponse(503, ErrorXml("SlowDown", "Please reduce your request rate.", "r2")),
      "s3://b/k");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "s3://b/k: gateway is throttling: SlowDown (HTTP 503, request id r2)");
}

TEST(StatusFromResponseTest, NginxHtml413) {
  const std::string html =
      "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
      "<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx/1.18.0"
      "</center>\r\n</body>\r\n</html>\r\n";
  Status s = StatusFromResponse(
      MakeResponse(413, html, {{"content-type", "text/html"}, {"server", "nginx/1.18.0"}}),
      "s3://b/big.iso");
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "s3://b/big.iso: request body too large (HTTP 413)");
  EXPECT_EQ(s.http_status(), 413);
  EXPECT_EQ(s.s3_code(), "");
}

TEST(StatusFromResponseTest, ProxyHtml502And504) {
  Status bad = StatusFromResponse(
      MakeResponse(502, "<html><body><h1>502 Bad Gateway</h1></body></html>"), "s3://b/k");
  EXPECT_EQ(bad.code(), StatusCode::kInternal);
  EXPECT_EQ(bad.message().rfind("s3://b/k: bad gateway", 0), 0u) << bad.message();

  Status timeout =
      StatusFromResponse(MakeResponse(504, "<html>Gateway Time-out</html>"), "s3://b/k");
  EXPECT_EQ(timeout.code(), StatusCode::kDeadlineExceeded);
}

TEST(StatusFromResponseTest, HeadWithoutBody) {
  Status missing = StatusFromResponse(MakeResponse(404), "s3://b/k");
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "s3://b/k: not found (HTTP 404)");
  EXPECT_EQ(missing.http_status(), 404);
  EXPECT_EQ(missing.s3_code(), "");

  Status denied = StatusFromResponse(MakeResponse(403), "bucket 'b'");
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(), "bucket 'b': access denied (HTTP 403)");

  Status with_id = StatusFromResponse(
      MakeResponse(404, "", {{"x-amz-request-id", "tx000000000000000000abc-0065f0a1b2-1030"}}),
      "s3://b/k");
  EXPECT_EQ(with_id.request_id(), "tx000000000000000000abc-0065f0a1b2-1030");
  EXPECT_EQ(with_id.message(),
            "s3://b/k: not found (HTTP 404, request id tx000000000000000000abc-0065f0a1b2-1030)");
}

// A web server that is not S3 (python's http.server, nginx serving files)
// answers 404 or 501 with a page of its own and no x-amz-* header: that is
// said, not taken for a missing bucket.
TEST(StatusFromResponseTest, AServerThatIsNotS3IsNamed) {
  const std::string endpoint = "http://127.0.0.1:8000";
  const std::string page = "<!DOCTYPE HTML><html><body><h1>Error response</h1></body></html>";
  const http::Headers python = {{"server", "SimpleHTTP/0.6 Python/3.11.7"},
                                {"content-type", "text/html;charset=utf-8"}};
  for (const auto& [status, body] :
       std::vector<std::pair<int, std::string>>{{404, page}, {404, ""}, {405, page}, {501, page}}) {
    Status s = StatusFromResponse(MakeResponse(status, body, python), "bucket 'x'", endpoint);
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
    EXPECT_EQ(s.message(), "http://127.0.0.1:8000: not an S3 gateway (HTTP " +
                               std::to_string(status) + " without an S3 error body)");
    EXPECT_EQ(s.http_status(), status);
  }
}

// What an S3 gateway sends stays what it means: RGW's and AWS's HEAD (no
// body, x-amz-request-id), moto's (x-amzn-requestid), an <Error> document;
// and a proxy's page in front of a gateway for what a proxy does.
TEST(StatusFromResponseTest, AGatewaysOwnAnswersAreNotTakenForAnotherServer) {
  const std::string endpoint = "http://127.0.0.1:7480";
  Status rgw_head = StatusFromResponse(MakeResponse(404, "", {{"x-amz-request-id", "tx0-1"}}),
                                       "bucket 'x'", endpoint);
  EXPECT_EQ(rgw_head.code(), StatusCode::kNotFound);
  EXPECT_EQ(rgw_head.message(), "bucket 'x': not found (HTTP 404, request id tx0-1)");
  Status moto_head = StatusFromResponse(MakeResponse(404, "", {{"x-amzn-RequestId", "m-1"}}),
                                        "bucket 'x'", endpoint);
  EXPECT_EQ(moto_head.code(), StatusCode::kNotFound);
  Status document = StatusFromResponse(MakeResponse(404, ErrorXml("NoSuchBucket", "", "r1")),
                                       "bucket 'x'", endpoint);
  EXPECT_EQ(document.code(), StatusCode::kNotFound);
  EXPECT_EQ(document.message(),
            "bucket 'x': does not exist (NoSuchBucket, HTTP 404, request id r1)");
  Status too_large = StatusFromResponse(
      MakeResponse(413, "<html>413 Request Entity Too Large</html>"), "s3://b/k", endpoint);
  EXPECT_EQ(too_large.code(), StatusCode::kResourceExhausted);
  Status bad_gateway =
      StatusFromResponse(MakeResponse(502, "<html>502 Bad Gateway</html>"), "s3://b/k", endpoint);
  EXPECT_EQ(bad_gateway.code(), StatusCode::kInternal);
  // Without an endpoint to name, as before.
  EXPECT_EQ(StatusFromResponse(MakeResponse(404), "s3://b/k").code(), StatusCode::kNotFound);
}

TEST(StatusFromResponseTest, RequestIdFromXmlOrHeader) {
  // RGW and AWS send both; the document's wins.
  Status both = StatusFromResponse(
      MakeResponse(404, ErrorXml("NoSuchKey", "", "from-xml"), {{"x-amz-request-id", "from-hdr"}}),
      "s3://b/k");
  EXPECT_EQ(both.request_id(), "from-xml");

  Status header_only = StatusFromResponse(
      MakeResponse(409, ErrorXml("BucketNotEmpty"), {{"X-Amz-Request-Id", "from-hdr"}}),
      "bucket 'b'");
  EXPECT_EQ(header_only.request_id(), "from-hdr");
  EXPECT_EQ(header_only.message(),
            "bucket 'b': the bucket is not empty (BucketNotEmpty, HTTP 409, request id from-hdr)");

  Status none = StatusFromResponse(MakeResponse(409, ErrorXml("BucketNotEmpty")), "bucket 'b'");
  EXPECT_EQ(none.request_id(), "");
  EXPECT_EQ(none.message(), "bucket 'b': the bucket is not empty (BucketNotEmpty, HTTP 409)");
}

TEST(StatusFromResponseTest, GatewayMessagesStayOnOneLine) {
  Status s = StatusFromResponse(MakeResponse(400, ErrorXml("InvalidArgument",
                                                           "Part number must be an integer\r\n"
                                                           "between 1 and 10000,\n\n\tinclusive",
                                                           "r3")),
                                "s3://b/k part 0");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "s3://b/k part 0: invalid argument: Part number must be an integer between 1 and "
            "10000, inclusive (InvalidArgument, HTTP 400, request id r3)");

  Status unknown =
      StatusFromResponse(MakeResponse(409, ErrorXml("OperationAborted",
                                                    "A conflicting conditional operation\nis "
                                                    "in progress.")),
                         "bucket 'b'");
  EXPECT_EQ(unknown.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(unknown.message(),
            "bucket 'b': A conflicting conditional operation is in progress. (OperationAborted, "
            "HTTP 409)");
}

TEST(StatusFromResponseTest, LongGatewayMessageIsCapped) {
  Status s = StatusFromResponse(
      MakeResponse(400, ErrorXml("InvalidRequest", std::string(5000, 'x'))), "s3://b/k");
  EXPECT_LT(s.message().size(), 400u);
  EXPECT_NE(s.message().find("... (InvalidRequest, HTTP 400)"), std::string::npos) << s.message();
}

TEST(StatusFromResponseTest, HeaderValuesNeverReachTheMessage) {
  Status s = StatusFromResponse(
      MakeResponse(403, ErrorXml("AccessDenied", "Access Denied"),
                   {{"authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/x"},
                    {"x-amz-id-2", "secret-host-id"},
                    {"set-cookie", "session=abc"}}),
      "s3://b/k");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "s3://b/k: access denied (AccessDenied, HTTP 403)");
  EXPECT_EQ(s.message().find("AKIA"), std::string::npos);
  EXPECT_EQ(s.message().find("secret"), std::string::npos);
}

TEST(StatusFromResponseTest, ErrorWithoutCodeUsesHttpStatus) {
  Status s = StatusFromResponse(
      MakeResponse(503, "<Error><Message>Service Unavailable</Message></Error>"), "s3://b/k");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.s3_code(), "");
  EXPECT_EQ(s.message(), "s3://b/k: Service Unavailable (HTTP 503)");
}

TEST(StatusFromS3ErrorTest, EmptyResourceHasNoPrefix) {
  S3ErrorBody e{.code = "NoSuchUpload", .message = "", .request_id = "r", .resource = ""};
  Status s = StatusFromS3Error(e, 404, "");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(),
            "no such multipart upload (it was completed or aborted) (NoSuchUpload, HTTP 404, "
            "request id r)");
}

}  // namespace
}  // namespace gwsync::s3
