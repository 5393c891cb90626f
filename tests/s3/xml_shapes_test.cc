// Answers in the shapes other S3 implementations write (moto, wrapped or
// namespaced roots, quoted or bare ETags), and garbage, which every parser
// must refuse cleanly with one line.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "s3/xml.h"

namespace gwsync::s3::xml {
namespace {

// ---- Other gateways' shapes --------------------------------------------------------
// Answers are read by their elements, as the AWS SDKs read them: the root's
// name and namespace differ between gateways and do not matter.

// moto 5.2.1's answer to CompleteMultipartUpload, as sent.
constexpr char kMotoComplete[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<CompleteMultipartUploadResponse "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Location>http://rawb.s3.amazonaws.com/mp"
    "</Location><Bucket>rawb</Bucket><Key>mp</Key><ETag>\"a4b0dfcb6275073cf676b2367da6b4f7-2\""
    "</ETag></CompleteMultipartUploadResponse>";

TEST(XmlShapesTest, TaggingReadsEveryTagAndAnEmptySet) {
  auto tags = ParseTagging(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Tagging xmlns=\"http://s3.amazonaws.com/doc/"
      "2006-03-01/\"><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b c</Key>"
      "<Value></Value></Tag></TagSet></Tagging>");
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  EXPECT_EQ(*tags, (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b c", ""}}));
  auto empty = ParseTagging("<Tagging><TagSet/></Tagging>");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(ParseTagging("<ListBucketResult/>").ok());
}

TEST(OtherShapesTest, MotoCompleteMultipartUploadResponse) {
  auto etag = ParseCompleteMultipart(kMotoComplete);
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(*etag, "a4b0dfcb6275073cf676b2367da6b4f7-2");
}

TEST(OtherShapesTest, MotoListPartsResponse) {
  auto page = ParseListParts(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ListPartsResponse "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>rawb</Bucket><Key>mp</Key>"
      "<UploadId>xY8qSRdd</UploadId><PartNumberMarker>0</PartNumberMarker>"
      "<NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>1000</MaxParts>"
      "<IsTruncated>false</IsTruncated><Part><PartNumber>1</PartNumber><LastModified>"
      "2026-11-28T09:37:29.000Z</LastModified><ETag>\"f5c72844814e523517b0bcbc17eb638b\"</ETag>"
      "<Size>5242880</Size></Part><Part><PartNumber>2</PartNumber><LastModified>"
      "2026-11-28T09:37:29.000Z</LastModified><ETag>\"0bbc18cdea1c4aaa17777d441214774a\"</ETag>"
      "<Size>10</Size></Part><Initiator><ID>75aa</ID><DisplayName>webfile</DisplayName>"
      "</Initiator><Owner><DisplayName>webfile</DisplayName><ID>75aa</ID></Owner>"
      "<StorageClass>STANDARD</StorageClass></ListPartsResponse>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->parts.size(), 2u);
  EXPECT_EQ(page->parts[0].etag, "f5c72844814e523517b0bcbc17eb638b");
  EXPECT_EQ(page->parts[1].number, 2);
  EXPECT_EQ(page->parts[1].size, 10u);
  EXPECT_FALSE(page->truncated);
}

TEST(OtherShapesTest, AnyRootHoldingTheAnswersElements) {
  auto id = ParseInitiateMultipart(
      "<CreateMultipartUploadOutput><Bucket>b</Bucket><Key>k</Key><UploadId>u-1</UploadId>"
      "</CreateMultipartUploadOutput>");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "u-1");

  auto complete = ParseCompleteMultipart("<Result><ETag>\"abc-2\"</ETag></Result>");
  ASSERT_TRUE(complete.ok()) << complete.status().ToString();
  EXPECT_EQ(*complete, "abc-2");

  auto copy = ParseCopyObject(
      "<CopyObjectResponse><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
      "<ETag>\"9b2c\"</ETag></CopyObjectResponse>");
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(*copy, "9b2c");

  auto page = ParseListObjects(
      "<ListObjectsV2Output><IsTruncated>false</IsTruncated><Contents><Key>k</Key>"
      "<Size>3</Size></Contents></ListObjectsV2Output>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].size, 3u);

  auto buckets = ParseListBuckets(
      "<ListBucketsOutput><Buckets><Bucket><Name>b</Name></Bucket></Buckets>"
      "</ListBucketsOutput>");
  ASSERT_TRUE(buckets.ok()) << buckets.status().ToString();
  ASSERT_EQ(buckets->size(), 1u);
  EXPECT_EQ((*buckets)[0].name, "b");

  auto uploads = ParseListMultipartUploads(
      "<ListMultipartUploadsResponse><IsTruncated>false</IsTruncated><Upload><Key>k</Key>"
      "<UploadId>u</UploadId></Upload></ListMultipartUploadsResponse>");
  ASSERT_TRUE(uploads.ok()) << uploads.status().ToString();
  ASSERT_EQ(uploads->uploads.size(), 1u);

  auto deleted = ParseDeleteResult(
      "<DeleteObjectsResponse><Deleted><Key>a</Key></Deleted><Error><Key>b</Key>"
      "<Code>AccessDenied</Code></Error></DeleteObjectsResponse>");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  ASSERT_EQ(deleted->size(), 1u);
  EXPECT_EQ((*deleted)[0].key, "b");
}

TEST(OtherShapesTest, AnswerWrappedInAResponseElement) {
  auto etag = ParseCompleteMultipart(
      "<CompleteMultipartUploadResponse xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>\"e-3\"</ETag>"
      "</CompleteMultipartUploadResult><ResponseMetadata><RequestId>r</RequestId>"
      "</ResponseMetadata></CompleteMultipartUploadResponse>");
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(*etag, "e-3");

  auto page = ParseListObjects(
      "<ListObjectsResponse><ListBucketResult><Name>b</Name><IsTruncated>true</IsTruncated>"
      "<NextContinuationToken>t</NextContinuationToken><Contents><Key>k</Key></Contents>"
      "</ListBucketResult></ListObjectsResponse>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->next_token, "t");
}

TEST(OtherShapesTest, EmptyAnswersAreKnownByTheirRootName) {
  for (const char* body : {"<DeleteResult/>", "<DeleteResponse></DeleteResponse>",
                           "<DeleteObjectsResponse xmlns=\"urn:other\"/>"}) {
    SCOPED_TRACE(body);
    auto errors = ParseDeleteResult(body);
    ASSERT_TRUE(errors.ok()) << errors.status().ToString();
    EXPECT_TRUE(errors->empty());
  }
  auto buckets = ParseListBuckets("<ListAllMyBucketsResponse/>");
  ASSERT_TRUE(buckets.ok()) << buckets.status().ToString();
  EXPECT_TRUE(buckets->empty());
  auto page = ParseListObjects("<ListBucketResponse/>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->objects.empty());
  auto parts = ParseListParts("<ListPartsResponse/>");
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  EXPECT_TRUE(parts->parts.empty());
  auto uploads = ParseListMultipartUploads("<ListMultipartUploadsResult/>");
  ASSERT_TRUE(uploads.ok()) << uploads.status().ToString();
  EXPECT_TRUE(uploads->uploads.empty());
}

TEST(OtherShapesTest, AnyNamespaceOrNone) {
  for (const char* ns : {"", " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01\"",
                         " xmlns=\"urn:example:storage\"", " xmlns:s3=\"urn:x\""}) {
    SCOPED_TRACE(ns);
    auto etag = ParseCompleteMultipart(std::string("<CompleteMultipartUploadResponse") + ns +
                                       "><ETag>\"e\"</ETag></CompleteMultipartUploadResponse>");
    ASSERT_TRUE(etag.ok()) << etag.status().ToString();
    EXPECT_EQ(*etag, "e");
  }
  auto prefixed = ParseListParts(
      "<s3:ListPartsResponse xmlns:s3=\"urn:x\"><s3:IsTruncated>false</s3:IsTruncated>"
      "<s3:Part><s3:PartNumber>4</s3:PartNumber><s3:ETag>e</s3:ETag></s3:Part>"
      "</s3:ListPartsResponse>");
  ASSERT_TRUE(prefixed.ok()) << prefixed.status().ToString();
  ASSERT_EQ(prefixed->parts.size(), 1u);
  EXPECT_EQ(prefixed->parts[0].number, 4);
  EXPECT_EQ(prefixed->parts[0].size, 0u);  // <Size> is optional
}

TEST(OtherShapesTest, EtagsQuotedOrNot) {
  for (const char* etag : {"\"5d41402a\"", "5d41402a", "&quot;5d41402a&quot;", "&#34;5d41402a&#34;",
                           " \"5d41402a\" "}) {
    SCOPED_TRACE(etag);
    const std::string e = std::string("<ETag>") + etag + "</ETag>";
    auto complete = ParseCompleteMultipart("<CompleteMultipartUploadResponse>" + e +
                                           "</CompleteMultipartUploadResponse>");
    ASSERT_TRUE(complete.ok()) << complete.status().ToString();
    EXPECT_EQ(*complete, "5d41402a");
    auto copy = ParseCopyObject("<CopyPartResult>" + e + "</CopyPartResult>");
    ASSERT_TRUE(copy.ok()) << copy.status().ToString();
    EXPECT_EQ(*copy, "5d41402a");
    auto parts = ParseListParts("<ListPartsResult><Part><PartNumber>1</PartNumber>" + e +
                                "</Part></ListPartsResult>");
    ASSERT_TRUE(parts.ok()) << parts.status().ToString();
    EXPECT_EQ(parts->parts[0].etag, "5d41402a");
    auto page = ParseListObjects("<ListBucketResult><Contents><Key>k</Key>" + e +
                                 "</Contents></ListBucketResult>");
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_EQ(page->objects[0].etag, "5d41402a");
  }
}

TEST(OtherShapesTest, ErrorResponseWrapperIsAnError) {
  const char* body =
      "<ErrorResponse xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Error><Type>Sender"
      "</Type><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message>"
      "</Error><RequestId>r-7</RequestId></ErrorResponse>";
  S3ErrorBody e;
  ASSERT_TRUE(ParseError(body, &e));
  EXPECT_EQ(e.code, "NoSuchUpload");
  auto etag = ParseCompleteMultipart(body);
  ASSERT_FALSE(etag.ok());
  EXPECT_EQ(etag.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(etag.status().s3_code(), "NoSuchUpload");
}

TEST(OtherShapesTest, ErrorWithoutCodeInside200IsStillAnError) {
  for (const char* body : {"<Error/>", "<Error><Message>oops</Message></Error>"}) {
    SCOPED_TRACE(body);
    auto etag = ParseCompleteMultipart(body);
    EXPECT_FALSE(etag.ok());
    auto copy = ParseCopyObject(body);
    EXPECT_FALSE(copy.ok());
  }
}

// Every parser, for the garbage test below.
const std::vector<std::pair<std::string, std::function<Status(std::string_view)>>>& Parsers() {
  static const auto* parsers =
      new std::vector<std::pair<std::string, std::function<Status(std::string_view)>>>{
          {"ListBuckets", [](std::string_view b) { return ParseListBuckets(b).status(); }},
          {"ListObjects", [](std::string_view b) { return ParseListObjects(b).status(); }},
          {"InitiateMultipartUpload",
           [](std::string_view b) { return ParseInitiateMultipart(b).status(); }},
          {"CompleteMultipartUpload",
           [](std::string_view b) { return ParseCompleteMultipart(b).status(); }},
          {"ListParts", [](std::string_view b) { return ParseListParts(b).status(); }},
          {"ListMultipartUploads",
           [](std::string_view b) { return ParseListMultipartUploads(b).status(); }},
          {"DeleteObjects", [](std::string_view b) { return ParseDeleteResult(b).status(); }},
          {"CopyObject", [](std::string_view b) { return ParseCopyObject(b).status(); }},
      };
  return *parsers;
}

TEST(OtherShapesTest, GarbageFailsCleanlyInEveryParser) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<a>";
  std::string deep_closed = deep;
  for (int i = 0; i < 100000; ++i) deep_closed += "</a>";
  const std::vector<std::string> bodies = {
      "",
      "   \r\n ",
      "garbage",
      "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
      "<p>nginx</p></body></html>",
      "<CompleteMultipartUploadResult><ETag>\"abc\"</ETag>",  // cut short
      "<Other><Thing>1</Thing></Other>",
      "<Other/>",
      std::string("\x00\xff\xfe<\x01>", 6),
      "<?xml version=\"1.0\"?>",
      "<a></b>",
      deep,
      deep_closed,
  };
  for (const auto& [what, parse] : Parsers()) {
    for (const std::string& body : bodies) {
      SCOPED_TRACE(what + ": " + body.substr(0, 40));
      Status s = parse(body);
      ASSERT_FALSE(s.ok());
      EXPECT_EQ(s.code(), StatusCode::kInternal);
      EXPECT_NE(s.message().find("malformed " + what + " response"), std::string::npos)
          << s.message();
      EXPECT_EQ(s.message().find('\n'), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace gwsync::s3::xml
