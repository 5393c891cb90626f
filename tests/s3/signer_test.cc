// size: most of it is the published test vectors, a table.
// Signing against published vectors:
//  - AWS's aws-sig-v4-test-suite (service "service", us-east-1,
//    20150830T123600Z, AKIDEXAMPLE), signed without x-amz-content-sha256;
//  - the S3 SigV4 examples from "Signature Calculations for the Authorization
//    Header" (examplebucket, 20130524T000000Z);
//  - the SigV2 examples from the S3 "Signing and authenticating REST requests"
//    page (johnsmith bucket, Tue, 27 Mar 2007).
#include "s3/signer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "hash/hash.h"
#include "s3/signer_test_util.h"

namespace gwsync::s3 {
namespace {

using signer_test::CountHeader;
using signer_test::Header;
using signer_test::kSuiteStsToken;
using signer_test::S3DocCredentials;
using signer_test::S3DocTime;
using signer_test::SuiteCredentials;
using signer_test::SuiteTime;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::year;

// ---------------------------------------------------------------------------
// aws-sig-v4-test-suite

struct SuiteVector {
  std::string name{};
  std::string method{};
  std::string path{};  // already encoded, as the client would pass it
  QueryParams query{};
  http::Headers headers{};  // besides Host and X-Amz-Date, which the signer supplies
  std::string payload_hash{};
  std::string session_token{};
  std::string canonical_request{};
  std::string canonical_request_hash{};  // the last line of the string to sign
  std::string signed_headers{};
  std::string signature{};
};

std::string CreqTail(std::string_view headers, std::string_view signed_headers) {
  return std::string(headers) + "x-amz-date:20150830T123600Z\n\n" + std::string(signed_headers) +
         "\n" + std::string(kEmptyPayloadHash);
}

// NOLINTNEXTLINE(readability-function-size): a table of test vectors
std::vector<SuiteVector> SuiteVectors() {
  const std::string host = "host:example.amazonaws.com\n";
  const std::string empty(kEmptyPayloadHash);
  const std::string unreserved =
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return {
      {.name = "get_vanilla",
       .method = "GET",
       .path = "/",
       .canonical_request = "GET\n/\n\n" + CreqTail(host, "host;x-amz-date"),
       .canonical_request_hash = "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
       .signed_headers = "host;x-amz-date",
       .signature = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      // The suite's get-vanilla-query request has no parameters at all.
      {.name = "get_vanilla_query",
       .method = "GET",
       .path = "",
       .canonical_request = "GET\n/\n\n" + CreqTail(host, "host;x-amz-date"),
       .canonical_request_hash = "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
       .signed_headers = "host;x-amz-date",
       .signature = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {.name = "get_vanilla_empty_query_key",
       .method = "GET",
       .path = "/",
       .query = {{"Param1", "value1"}},
       .canonical_request = "GET\n/\nParam1=value1\n" + CreqTail(host, "host;x-amz-date"),
       .canonical_request_hash = "1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab",
       .signed_headers = "host;x-amz-date",
       .signature = "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
      {.name = "get_vanilla_query_order_key",
       .method = "GET",
       .path = "/",
       .query = {{"Param1", "value2"}, {"Param1", "Value1"}},
       .canonical_request =
           "GET\n/\nParam1=Value1&Param1=value2\n" + CreqTail(host, "host;x-amz-date"),
       .canonical_request_hash = "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89",
       .signed_headers = "host;x-amz-date",
       .signature = "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
      {.name = "get_vanilla_query_order_key_case",
       .method = "GET",
       .path = "/",
       .query = {{"Param2", "value2"}, {"Param1", "value1"}},
       .canonical_request =
           "GET\n/\nParam1=value1&Param2=value2\n" + CreqTail(host, "host;x-amz-date"),
       .canonical_request_hash = "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
       .signed_headers = "host;x-amz-date",
       .signature = "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {.name = "get_vanilla_query_order_value",
       .method = "GET",
       .path = "/",
       .query = {{"Param1", "value2"}, {"Param1", "value1"}},
       .canonical_request =
           "GET\n/\nParam1=value1&Param1=value2\n" + CreqTail(host, "host;x-amz-date"),
       .canonical_request_hash = "c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606",
       .signed_headers = "host;x-amz-date",
       .signature = "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
      {.name = "get_vanilla_query_unreserved",
       .method = "GET",
       .path = "/",
       .query = {{unreserved, unreserved}},
       .canonical_request =
           "GET\n/\n" + unreserved + "=" + unreserved + "\n" + CreqTail(host, "host;x-amz-date"),
       .canonical_request_hash = "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
       .signed_headers = "host;x-amz-date",
       .signature = "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {.name = "get_vanilla_utf8_query",
       .method = "GET",
       .path = "/",
       .query = {{"\xE1\x88\xB4", "bar"}},
       .canonical_request = "GET\n/\n%E1%88%B4=bar\n" + CreqTail(host, "host;x-amz-date"),
       .canonical_request_hash = "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
       .signed_headers = "host;x-amz-date",
       .signature = "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {.name = "get_unreserved",
       .method = "GET",
       .path = "/" + unreserved,
       .canonical_request = "GET\n/" + unreserved + "\n\n" + CreqTail(host, "host;x-amz-date"),
       .canonical_request_hash = "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
       .signed_headers = "host;x-amz-date",
       .signature = "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {.name = "get_utf8",
       .method = "GET",
       .path = UriEncode("/\xE1\x88\xB4", false),
       .canonical_request = "GET\n/%E1%88%B4\n\n" + CreqTail(host, "host;x-amz-date"),
       .canonical_request_hash = "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
       .signed_headers = "host;x-amz-date",
       .signature = "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      // The suite's raw path is "/example space/"; the client encodes it.
      {.name = "get_space",
       .method = "GET",
       .path = UriEncode("/example space/", false),
       .canonical_request = "GET\n/example%20space/\n\n" + CreqTail(host, "host;x-amz-date"),
       .canonical_request_hash = "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
       .signed_headers = "host;x-amz-date",
       .signature = "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
      {.name = "get_header_key_duplicate",
       .method = "GET",
       .path = "/",
       .headers = {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
       .canonical_request = "GET\n/\n\n" + CreqTail(host + "my-header1:value2,value2,value1\n",
                                                    "host;my-header1;x-amz-date"),
       .canonical_request_hash = "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
       .signed_headers = "host;my-header1;x-amz-date",
       .signature = "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {.name = "get_header_value_order",
       .method = "GET",
       .path = "/",
       .headers = {{"My-Header1", "value4"},
                   {"My-Header1", "value1"},
                   {"My-Header1", "value3"},
                   {"My-Header1", "value2"}},
       .canonical_request =
           "GET\n/\n\n" + CreqTail(host + "my-header1:value4,value1,value3,value2\n",
                                   "host;my-header1;x-amz-date"),
       .canonical_request_hash = "31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
       .signed_headers = "host;my-header1;x-amz-date",
       .signature = "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
      {.name = "get_header_value_trim",
       .method = "GET",
       .path = "/",
       .headers = {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
       .canonical_request =
           "GET\n/\n\n" + CreqTail(host + "my-header1:value1\nmy-header2:\"a b c\"\n",
                                   "host;my-header1;my-header2;x-amz-date"),
       .canonical_request_hash = "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
       .signed_headers = "host;my-header1;my-header2;x-amz-date",
       .signature = "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      // An obsolete folded value: each continuation line is a separate value.
      {.name = "get_header_value_multiline",
       .method = "GET",
       .path = "/",
       .headers = {{"My-Header1", "value1\n  value2\n     value3"}},
       .canonical_request = "GET\n/\n\n" + CreqTail(host + "my-header1:value1,value2,value3\n",
                                                    "host;my-header1;x-amz-date"),
       .canonical_request_hash = "b7b6cbfd8a0430b78891e986784da2630c8a135a8595cec25b26ea94f926ee55",
       .signed_headers = "host;my-header1;x-amz-date",
       .signature = "ba17b383a53190154eb5fa66a1b836cc297cc0a3d70a5d00705980573d8ff790"},
      {.name = "post_vanilla",
       .method = "POST",
       .path = "/",
       .canonical_request = "POST\n/\n\n" + CreqTail(host, "host;x-amz-date"),
       .canonical_request_hash = "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
       .signed_headers = "host;x-amz-date",
       .signature = "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {.name = "post_vanilla_query",
       .method = "POST",
       .path = "/",
       .query = {{"Param1", "value1"}},
       .canonical_request = "POST\n/\nParam1=value1\n" + CreqTail(host, "host;x-amz-date"),
       .canonical_request_hash = "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
       .signed_headers = "host;x-amz-date",
       .signature = "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {.name = "post_header_key_sort",
       .method = "POST",
       .path = "/",
       .headers = {{"My-Header1", "value1"}},
       .canonical_request =
           "POST\n/\n\n" + CreqTail(host + "my-header1:value1\n", "host;my-header1;x-amz-date"),
       .canonical_request_hash = "9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
       .signed_headers = "host;my-header1;x-amz-date",
       .signature = "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
      {.name = "post_header_value_case",
       .method = "POST",
       .path = "/",
       .headers = {{"My-Header1", "VALUE1"}},
       .canonical_request =
           "POST\n/\n\n" + CreqTail(host + "my-header1:VALUE1\n", "host;my-header1;x-amz-date"),
       .canonical_request_hash = "d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
       .signed_headers = "host;my-header1;x-amz-date",
       .signature = "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      // Content-Length is left to the transport, as the suite's authz expects.
      {.name = "post_x_www_form_urlencoded",
       .method = "POST",
       .path = "/",
       .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
       .payload_hash = hash::Sha256Hex("Param1=value1"),
       .canonical_request = "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n" + host +
                            "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
                            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
       .canonical_request_hash = "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
       .signed_headers = "content-type;host;x-amz-date",
       .signature = "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      // post-sts-token/post-sts-header-before: the token header is signed.
      {.name = "post_sts_header_before",
       .method = "POST",
       .path = "/",
       .session_token = std::string(kSuiteStsToken),
       .canonical_request = "POST\n/\n\n" + host + "x-amz-date:20150830T123600Z\n" +
                            "x-amz-security-token:" + std::string(kSuiteStsToken) + "\n\n" +
                            "host;x-amz-date;x-amz-security-token\n" + empty,
       .canonical_request_hash = "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
       .signed_headers = "host;x-amz-date;x-amz-security-token",
       .signature = "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
  };
}

// Failure messages name the vector rather than dumping its bytes.
void PrintTo(const SuiteVector& v, std::ostream* os) { *os << v.name; }

class SigV4SuiteTest : public testing::TestWithParam<SuiteVector> {};

TEST_P(SigV4SuiteTest, MatchesPublishedVector) {
  const SuiteVector& v = GetParam();
  SignableRequest req{
      .method = v.method,
      .host = "example.amazonaws.com",
      .encoded_path = v.path,
      .query = v.query,
      .headers = v.headers,
      .payload_hash = v.payload_hash.empty() ? std::string(kEmptyPayloadHash) : v.payload_hash};
  Credentials creds = SuiteCredentials();
  creds.session_token = v.session_token;

  V4Trace trace = SignV4(&req, creds, {.region = "us-east-1", .service = "service"}, SuiteTime(),
                         /*add_content_sha256=*/false);

  EXPECT_EQ(trace.canonical_request, v.canonical_request);
  EXPECT_EQ(trace.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" +
                v.canonical_request_hash);
  const std::string authorization =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=" +
      v.signed_headers + ", Signature=" + v.signature;
  EXPECT_EQ(trace.authorization, authorization);
  EXPECT_EQ(Header(req.headers, "Authorization"), authorization);
  EXPECT_EQ(Header(req.headers, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(CountHeader(req.headers, "x-amz-content-sha256"), 0);
  EXPECT_EQ(CountHeader(req.headers, "host"), 0) << "curl sends Host itself";
  if (!v.session_token.empty()) {
    EXPECT_EQ(Header(req.headers, "x-amz-security-token"), v.session_token);
  }
}

INSTANTIATE_TEST_SUITE_P(AwsSigV4TestSuite, SigV4SuiteTest, testing::ValuesIn(SuiteVectors()),
                         [](const testing::TestParamInfo<SuiteVector>& info) {
                           return info.param.name;
                         });

// ---------------------------------------------------------------------------
// S3 SigV4 examples (x-amz-content-sha256 added and signed).

std::string S3DocAuthorization(std::string_view signed_headers, std::string_view signature) {
  // The docs print the same fields separated by "," alone; S3 accepts both.
  return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
         "SignedHeaders=" +
         std::string(signed_headers) + ", Signature=" + std::string(signature);
}

std::string S3DocStringToSign(std::string_view canonical_request_hash) {
  return "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" +
         std::string(canonical_request_hash);
}

TEST(SigV4S3ExampleTest, GetObject) {
  SignableRequest req{.method = "GET",
                      .host = "examplebucket.s3.amazonaws.com",
                      .encoded_path = "/test.txt",
                      .headers = {{"Range", "bytes=0-9"}},
                      .payload_hash = std::string(kEmptyPayloadHash)};
  V4Trace trace = SignV4(&req, S3DocCredentials(), {}, S3DocTime());
  EXPECT_EQ(
      trace.canonical_request,
      "GET\n/test.txt\n\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "range:bytes=0-9\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n\n"
      "host;range;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(trace.string_to_sign,
            S3DocStringToSign("7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"));
  EXPECT_EQ(trace.authorization,
            S3DocAuthorization("host;range;x-amz-content-sha256;x-amz-date",
                               "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
  EXPECT_EQ(Header(req.headers, "x-amz-content-sha256"), kEmptyPayloadHash);
}

TEST(SigV4S3ExampleTest, PutObjectWithReservedCharacterInKey) {
  const std::string payload_hash = hash::Sha256Hex("Welcome to Amazon S3.");
  ASSERT_EQ(payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  SignableRequest req{.method = "PUT",
                      .host = "examplebucket.s3.amazonaws.com",
                      .encoded_path = UriEncode("/test$file.text", false),
                      .headers = {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                                  {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                      .payload_hash = payload_hash};
  V4Trace trace = SignV4(&req, S3DocCredentials(), {}, S3DocTime());
  EXPECT_EQ(
      trace.canonical_request,
      "PUT\n/test%24file.text\n\n"
      "date:Fri, 24 May 2013 00:00:00 GMT\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
      "x-amz-date:20130524T000000Z\n"
      "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
      "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
      "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(trace.string_to_sign,
            S3DocStringToSign("9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"));
  EXPECT_EQ(trace.authorization,
            S3DocAuthorization("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                               "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));
}

TEST(SigV4S3ExampleTest, GetBucketLifecycle) {
  SignableRequest req{.method = "GET",
                      .host = "examplebucket.s3.amazonaws.com",
                      .encoded_path = "/",
                      .query = {{"lifecycle", ""}},
                      .payload_hash = std::string(kEmptyPayloadHash)};
  V4Trace trace = SignV4(&req, S3DocCredentials(), {}, S3DocTime());
  EXPECT_EQ(
      trace.canonical_request,
      "GET\n/\nlifecycle=\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n\n"
      "host;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(trace.string_to_sign,
            S3DocStringToSign("9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca"));
  EXPECT_EQ(trace.authorization,
            S3DocAuthorization("host;x-amz-content-sha256;x-amz-date",
                               "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));
}

TEST(SigV4S3ExampleTest, ListObjects) {
  SignableRequest req{.method = "GET",
                      .host = "examplebucket.s3.amazonaws.com",
                      .encoded_path = "/",
                      .query = {{"prefix", "J"}, {"max-keys", "2"}},
                      .payload_hash = std::string(kEmptyPayloadHash)};
  V4Trace trace = SignV4(&req, S3DocCredentials(), {}, S3DocTime());
  EXPECT_EQ(
      trace.canonical_request,
      "GET\n/\nmax-keys=2&prefix=J\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n\n"
      "host;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(trace.string_to_sign,
            S3DocStringToSign("df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7"));
  EXPECT_EQ(trace.authorization,
            S3DocAuthorization("host;x-amz-content-sha256;x-amz-date",
                               "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
}

// ---------------------------------------------------------------------------
// SigV4 behaviour a gateway would notice.

SignableRequest GatewayRequest() {
  return {.method = "PUT",
          .host = "127.0.0.1:7480",
          .encoded_path = "/bucket/key",
          .headers = {{"Content-Type", "text/plain"}},
          .payload_hash = std::string(kUnsignedPayload)};
}

TEST(SigV4Test, UnsignedPayloadIsSentAndSigned) {
  SignableRequest req = GatewayRequest();
  V4Trace trace = SignV4(&req, S3DocCredentials(), {}, S3DocTime());
  EXPECT_EQ(Header(req.headers, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_TRUE(trace.canonical_request.ends_with(
      "x-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20130524T000000Z\n\n"
      "content-type;host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD"))
      << trace.canonical_request;
  EXPECT_TRUE(trace.canonical_request.starts_with(
      "PUT\n/bucket/key\n\ncontent-type:text/plain\nhost:127.0.0.1:7480\n"))
      << trace.canonical_request;
}

TEST(SigV4Test, EmptyPayloadHashMeansEmptyBody) {
  SignableRequest req = GatewayRequest();
  req.payload_hash.clear();
  V4Trace trace = SignV4(&req, S3DocCredentials(), {}, S3DocTime());
  EXPECT_TRUE(trace.canonical_request.ends_with(kEmptyPayloadHash));
  EXPECT_EQ(Header(req.headers, "x-amz-content-sha256"), kEmptyPayloadHash);
}

TEST(SigV4Test, PathIsSignedAsGivenWithoutNormalisation) {
  for (std::string path : {"//example//", "/./a/../b", "/bucket/a%2Fb", "/bucket/dir%20x/"}) {
    SignableRequest req = GatewayRequest();
    req.encoded_path = path;
    V4Trace trace = SignV4(&req, S3DocCredentials(), {}, S3DocTime());
    EXPECT_TRUE(trace.canonical_request.starts_with("PUT\n" + path + "\n\n")) << path;
  }
  SignableRequest req = GatewayRequest();
  req.encoded_path = "";
  EXPECT_TRUE(SignV4(&req, S3DocCredentials(), {}, S3DocTime())
                  .canonical_request.starts_with("PUT\n/\n\n"));
}

TEST(SigV4Test, SigningAgainReplacesEarlierSignatureHeaders) {
  Credentials creds = S3DocCredentials();
  creds.session_token = "token";
  SignableRequest req = GatewayRequest();
  SignV4(&req, creds, {}, S3DocTime());
  const auto later = S3DocTime() + minutes{20};
  V4Trace again = SignV4(&req, creds, {}, later);

  SignableRequest fresh = GatewayRequest();
  V4Trace expected = SignV4(&fresh, creds, {}, later);
  EXPECT_EQ(again.canonical_request, expected.canonical_request);
  EXPECT_EQ(again.authorization, expected.authorization);
  for (std::string_view name :
       {"authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"}) {
    EXPECT_EQ(CountHeader(req.headers, name), 1) << name;
  }
  EXPECT_EQ(Header(req.headers, "x-amz-date"), "20130524T002000Z");
}

TEST(SigV4Test, ExplicitHostHeaderIsSignedInsteadOfHostField) {
  SignableRequest req = GatewayRequest();
  req.headers.emplace_back("Host", "gateway.example:443");
  V4Trace trace = SignV4(&req, S3DocCredentials(), {}, S3DocTime());
  EXPECT_NE(trace.canonical_request.find("\nhost:gateway.example:443\n"), std::string::npos);
  EXPECT_EQ(trace.canonical_request.find("127.0.0.1"), std::string::npos);
}

TEST(SigV4Test, RegionAndServiceAppearInScope) {
  SignableRequest req = GatewayRequest();
  V4Trace trace =
      SignV4(&req, S3DocCredentials(), {.region = "eu-ro-1", .service = "s3"}, S3DocTime());
  EXPECT_TRUE(trace.authorization.starts_with(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/eu-ro-1/s3/aws4_request, "));
  EXPECT_NE(trace.string_to_sign.find("\n20130524/eu-ro-1/s3/aws4_request\n"), std::string::npos);
}

TEST(SigV4Test, QueryIsEncodedInCanonicalRequest) {
  SignableRequest req = GatewayRequest();
  req.method = "GET";
  req.query = {{"prefix", "a b/c+d"}, {"list-type", "2"}, {"continuation-token", "x=y"}};
  V4Trace trace = SignV4(&req, S3DocCredentials(), {}, S3DocTime());
  EXPECT_TRUE(trace.canonical_request.starts_with(
      "GET\n/bucket/key\ncontinuation-token=x%3Dy&list-type=2&prefix=a%20b%2Fc%2Bd\n"))
      << trace.canonical_request;
}

// ---------------------------------------------------------------------------
// Dates

TEST(DateTest, AmzAndHttpDates) {
  EXPECT_EQ(AmzDate(SuiteTime()), "20150830T123600Z");
  EXPECT_EQ(HttpDate(SuiteTime()), "Sun, 30 Aug 2015 12:36:00 GMT");
  const auto epoch = std::chrono::system_clock::time_point{};
  EXPECT_EQ(AmzDate(epoch), "19700101T000000Z");
  EXPECT_EQ(HttpDate(epoch), "Thu, 01 Jan 1970 00:00:00 GMT");
  const auto leap = sys_days{year{2024} / 2 / 29} + hours{23} + minutes{59} + seconds{59};
  EXPECT_EQ(AmzDate(leap), "20240229T235959Z");
  EXPECT_EQ(HttpDate(leap), "Thu, 29 Feb 2024 23:59:59 GMT");
  // Sub-second parts are dropped, not rounded.
  EXPECT_EQ(AmzDate(leap + std::chrono::milliseconds{999}), "20240229T235959Z");
}

}  // namespace
}  // namespace gwsync::s3
