// Signing with SigV2 against the examples of the S3 "Signing and
// authenticating REST requests" page (johnsmith bucket, Tue, 27 Mar 2007).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "hash/hash.h"
#include "s3/signer.h"
#include "s3/signer_test_util.h"

namespace gwsync::s3 {
namespace {

using signer_test::CountHeader;
using signer_test::Header;
using signer_test::S3DocCredentials;
using signer_test::SuiteTime;

// ---------------------------------------------------------------------------
// SigV2: the classic S3 REST authentication examples.

struct V2Case {
  SignableRequest req{};
  std::string string_to_sign{};
  std::string signature{};
};

void ExpectV2(V2Case c) {
  std::string sts = SignV2(&c.req, S3DocCredentials(), SuiteTime());
  EXPECT_EQ(sts, c.string_to_sign);
  EXPECT_EQ(Header(c.req.headers, "Authorization"), "AWS AKIAIOSFODNN7EXAMPLE:" + c.signature);
  EXPECT_EQ(CountHeader(c.req.headers, "Authorization"), 1);
}

TEST(SigV2ExampleTest, ObjectGet) {
  ExpectV2(
      {.req = {.method = "GET",
               .host = "johnsmith.s3.amazonaws.com",
               .encoded_path = "/johnsmith/photos/puppy.jpg",
               .headers = {{"Date", "Tue, 27 Mar 2007 19:36:42 +0000"}}},
       .string_to_sign = "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
       .signature = "bWq2s1WEIj+Ydj0vQ697zp+IXMU="});
}

TEST(SigV2ExampleTest, ObjectPut) {
  ExpectV2({.req = {.method = "PUT",
                    .host = "johnsmith.s3.amazonaws.com",
                    .encoded_path = "/johnsmith/photos/puppy.jpg",
                    .headers = {{"Content-Type", "image/jpeg"},
                                {"Content-Length", "94328"},
                                {"Date", "Tue, 27 Mar 2007 21:15:45 +0000"}}},
            .string_to_sign =
                "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg",
            .signature = "MyyxeRY7whkBe+bq8fHCL/2kKUg="});
}

TEST(SigV2ExampleTest, ListLeavesOrdinaryQueryParametersOut) {
  ExpectV2({.req = {.method = "GET",
                    .host = "johnsmith.s3.amazonaws.com",
                    .encoded_path = "/johnsmith/",
                    .query = {{"prefix", "photos"}, {"max-keys", "50"}, {"marker", "puppy"}},
                    .headers = {{"User-Agent", "Mozilla/5.0"},
                                {"Date", "Tue, 27 Mar 2007 19:42:41 +0000"}}},
            .string_to_sign = "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/",
            .signature = "htDYFYduRNen8P9ZfE/s9SuKy0U="});
}

TEST(SigV2ExampleTest, FetchAclSubresource) {
  ExpectV2({.req = {.method = "GET",
                    .host = "johnsmith.s3.amazonaws.com",
                    .encoded_path = "/johnsmith/",
                    .query = {{"acl", ""}},
                    .headers = {{"Date", "Tue, 27 Mar 2007 19:44:46 +0000"}}},
            .string_to_sign = "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl",
            .signature = "c2WLPFtWHVgbEmeEG93a4cG37dM="});
}

// The docs' own Delete example puts the x-amz-date value in the Date slot;
// S3 (and boto, goamz, LeoFS) sign an empty Date and the x-amz-date header.
TEST(SigV2ExampleTest, DeleteWithAmzDateSignsEmptyDate) {
  V2Case c{.req = {.method = "DELETE",
                   .host = "s3.amazonaws.com",
                   .encoded_path = "/johnsmith/photos/puppy.jpg",
                   .headers = {{"User-Agent", "dotnet"},
                               {"Date", "Tue, 27 Mar 2007 21:20:27 +0000"},
                               {"x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"}}},
           .string_to_sign =
               "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n"
               "/johnsmith/photos/puppy.jpg",
           .signature = "R4dJ53KECjStyBO5iTBJZ4XVOaI="};
  ExpectV2(c);
}

TEST(SigV2ExampleTest, UploadWithMetadataAndContentMd5) {
  ExpectV2({.req = {.method = "PUT",
                    .host = "static.johnsmith.net:8080",
                    .encoded_path = "/static.johnsmith.net/db-backup.dat.gz",
                    .headers = {{"User-Agent", "curl/7.15.5"},
                                {"Date", "Tue, 27 Mar 2007 21:06:08 +0000"},
                                {"x-amz-acl", "public-read"},
                                {"content-type", "application/x-download"},
                                {"Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="},
                                {"X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"},
                                {"X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"},
                                {"X-Amz-Meta-FileChecksum", "0x02661779"},
                                {"X-Amz-Meta-ChecksumAlgorithm", "crc32"},
                                {"Content-Disposition", "attachment; filename=database.dat"},
                                {"Content-Encoding", "gzip"},
                                {"Content-Length", "5913339"}}},
            .string_to_sign = "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\n"
                              "Tue, 27 Mar 2007 21:06:08 +0000\n"
                              "x-amz-acl:public-read\n"
                              "x-amz-meta-checksumalgorithm:crc32\n"
                              "x-amz-meta-filechecksum:0x02661779\n"
                              "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n"
                              "/static.johnsmith.net/db-backup.dat.gz",
            .signature = "ilyl83RwaSoYIEdixDQcA4OnAnc="});
}

TEST(SigV2ExampleTest, ListAllMyBuckets) {
  ExpectV2({.req = {.method = "GET",
                    .host = "s3.amazonaws.com",
                    .encoded_path = "/",
                    .headers = {{"Date", "Wed, 28 Mar 2007 01:29:59 +0000"}}},
            .string_to_sign = "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/",
            .signature = "qGdzdERIC03wnaRNKh6OqZehG9s="});
}

TEST(SigV2ExampleTest, UnicodeKeySignedLiterally) {
  ExpectV2({.req = {.method = "GET",
                    .host = "s3.amazonaws.com",
                    .encoded_path = "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
                    .headers = {{"Date", "Wed, 28 Mar 2007 01:49:49 +0000"}}},
            .string_to_sign = "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n"
                              "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
            .signature = "DNEZGsoieTZ92F3bUfSPQcbGmlM="});
}

// ---------------------------------------------------------------------------
// SigV2 behaviour

TEST(SigV2Test, AddsDateWhenNoneGiven) {
  SignableRequest req{.method = "GET", .host = "127.0.0.1:7480", .encoded_path = "/b/k"};
  std::string sts = SignV2(&req, S3DocCredentials(), SuiteTime());
  EXPECT_EQ(Header(req.headers, "Date"), "Sun, 30 Aug 2015 12:36:00 GMT");
  EXPECT_EQ(sts, "GET\n\n\nSun, 30 Aug 2015 12:36:00 GMT\n/b/k");
  EXPECT_TRUE(Header(req.headers, "Authorization").starts_with("AWS AKIAIOSFODNN7EXAMPLE:"));
}

TEST(SigV2Test, NoDateHeaderWhenAmzDatePresent) {
  SignableRequest req{.method = "GET",
                      .host = "127.0.0.1:7480",
                      .encoded_path = "/b/k",
                      .headers = {{"X-Amz-Date", "Sun, 30 Aug 2015 12:36:00 GMT"}}};
  std::string sts = SignV2(&req, S3DocCredentials(), SuiteTime());
  EXPECT_EQ(CountHeader(req.headers, "Date"), 0);
  EXPECT_EQ(sts, "GET\n\n\n\nx-amz-date:Sun, 30 Aug 2015 12:36:00 GMT\n/b/k");
}

TEST(SigV2Test, SubresourcesSortedWithRawValues) {
  SignableRequest req{.method = "GET",
                      .host = "127.0.0.1:7480",
                      .encoded_path = "/b/my%20key",
                      .query = {{"uploadId", "2~abc/def"},
                                {"max-parts", "10"},
                                {"partNumber", "3"},
                                {"response-content-type", "text/plain; charset=utf-8"},
                                {"versionId", "v 1"}},
                      .headers = {{"Date", "Sun, 30 Aug 2015 12:36:00 GMT"}}};
  std::string sts = SignV2(&req, S3DocCredentials(), SuiteTime());
  EXPECT_EQ(sts,
            "GET\n\n\nSun, 30 Aug 2015 12:36:00 GMT\n/b/my%20key"
            "?partNumber=3&response-content-type=text/plain; charset=utf-8"
            "&uploadId=2~abc/def&versionId=v 1");
}

TEST(SigV2Test, ValuelessSubresources) {
  SignableRequest req{.method = "POST",
                      .host = "127.0.0.1:7480",
                      .encoded_path = "/b/",
                      .query = {{"uploads", ""}, {"delete", ""}},
                      .headers = {{"Date", "Sun, 30 Aug 2015 12:36:00 GMT"}}};
  EXPECT_EQ(SignV2(&req, S3DocCredentials(), SuiteTime()),
            "POST\n\n\nSun, 30 Aug 2015 12:36:00 GMT\n/b/?delete&uploads");
}

TEST(SigV2Test, SessionTokenIsSentAndSigned) {
  Credentials creds = S3DocCredentials();
  creds.session_token = "tok";
  SignableRequest req{.method = "GET",
                      .host = "127.0.0.1:7480",
                      .encoded_path = "/b/k",
                      .headers = {{"Date", "Sun, 30 Aug 2015 12:36:00 GMT"}}};
  std::string sts = SignV2(&req, creds, SuiteTime());
  EXPECT_EQ(Header(req.headers, "x-amz-security-token"), "tok");
  EXPECT_EQ(sts, "GET\n\n\nSun, 30 Aug 2015 12:36:00 GMT\nx-amz-security-token:tok\n/b/k");
}

TEST(SigV2Test, SigningAgainKeepsOneAuthorization) {
  SignableRequest req{.method = "GET", .host = "127.0.0.1:7480", .encoded_path = "/b/k"};
  SignV2(&req, S3DocCredentials(), SuiteTime());
  SignV2(&req, S3DocCredentials(), SuiteTime());
  EXPECT_EQ(CountHeader(req.headers, "Authorization"), 1);
  EXPECT_EQ(CountHeader(req.headers, "Date"), 1);
}

}  // namespace
}  // namespace gwsync::s3
