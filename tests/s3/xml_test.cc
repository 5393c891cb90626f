// Fixtures follow the shapes of AWS's S3 API reference examples and of what
// Ceph RGW's rgw_rest_s3.cc writes (Owner/Type elements, unquoted or empty
// ETags, several <Prefix> in one <CommonPrefixes>, numeric delete error codes).
#include "s3/xml.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gwsync::s3::xml {
namespace {

// ---- ListBuckets -------------------------------------------------------------

TEST(ParseListBucketsTest, AwsShape) {
  auto buckets = ParseListBuckets(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Owner>
    <ID>bcaf1ffd86f461ca5fb16fd081034f</ID>
    <DisplayName>webfile</DisplayName>
  </Owner>
  <Buckets>
    <Bucket>
      <Name>quotes</Name>
      <CreationDate>2006-02-03T16:45:09.000Z</CreationDate>
    </Bucket>
    <Bucket>
      <Name>samples</Name>
      <CreationDate>2006-02-03T16:41:58.000Z</CreationDate>
    </Bucket>
  </Buckets>
</ListAllMyBucketsResult>)");
  ASSERT_TRUE(buckets.ok()) << buckets.status().ToString();
  ASSERT_EQ(buckets->size(), 2u);
  EXPECT_EQ((*buckets)[0].name, "quotes");
  EXPECT_EQ((*buckets)[0].creation_date, "2006-02-03T16:45:09.000Z");
  EXPECT_EQ((*buckets)[1].name, "samples");
}

TEST(ParseListBucketsTest, NoBuckets) {
  auto rgw = ParseListBuckets(
      "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>t"
      "</ID><DisplayName>T</DisplayName></Owner><Buckets></Buckets></ListAllMyBucketsResult>");
  ASSERT_TRUE(rgw.ok()) << rgw.status().ToString();
  EXPECT_TRUE(rgw->empty());
  auto bare = ParseListBuckets("<ListAllMyBucketsResult/>");
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(bare->empty());
}

// ---- Multipart -----------------------------------------------------------------

TEST(ParseInitiateMultipartTest, AwsShape) {
  auto id = ParseInitiateMultipart(R"(<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>example-bucket</Bucket>
  <Key>example-object</Key>
  <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
</InitiateMultipartUploadResult>)");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
}

TEST(ParseInitiateMultipartTest, RgwShapeWithTenant) {
  auto id = ParseInitiateMultipart(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><InitiateMultipartUploadResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Tenant>t1</Tenant><Bucket>b</Bucket>"
      "<Key>k</Key><UploadId>2~Hd3Dkq9F1mCzdBCeQp2LxvIIuL0ZmEl</UploadId>"
      "</InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "2~Hd3Dkq9F1mCzdBCeQp2LxvIIuL0ZmEl");
}

TEST(ParseInitiateMultipartTest, MissingUploadIdIsMalformed) {
  auto id = ParseInitiateMultipart(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId/>"
      "</InitiateMultipartUploadResult>");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kInternal);
}

TEST(ParseCompleteMultipartTest, AwsShape) {
  // AWS may send whitespace ahead of the document while it works.
  auto etag = ParseCompleteMultipart(R"(
   
<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Location>http://Example-Bucket.s3.region.amazonaws.com/Example-Object</Location>
  <Bucket>Example-Bucket</Bucket>
  <Key>Example-Object</Key>
  <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
</CompleteMultipartUploadResult>)");
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(*etag, "3858f62230ac3c915f300c664312c11f-9");
}

TEST(ParseCompleteMultipartTest, RgwEmptyOrUnquotedEtag) {
  for (const char* etag_xml : {"<ETag></ETag>", "<ETag/>", ""}) {
    SCOPED_TRACE(etag_xml);
    auto etag = ParseCompleteMultipart(
        std::string("<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/"
                    "2006-03-01/\"><Location>gw.example/b/k</Location><Bucket>b</Bucket>"
                    "<Key>k</Key>") +
        etag_xml + "</CompleteMultipartUploadResult>");
    ASSERT_TRUE(etag.ok()) << etag.status().ToString();
    EXPECT_EQ(*etag, "");
  }
  auto unquoted = ParseCompleteMultipart(
      "<CompleteMultipartUploadResult><ETag>0a1b2c3d-3</ETag></CompleteMultipartUploadResult>");
  ASSERT_TRUE(unquoted.ok());
  EXPECT_EQ(*unquoted, "0a1b2c3d-3");
}

TEST(ParseCompleteMultipartTest, ErrorInside200IsAnError) {
  auto etag = ParseCompleteMultipart(R"(<?xml version="1.0" encoding="UTF-8"?>

<Error>
  <Code>InternalError</Code>
  <Message>We encountered an internal error. Please try again.</Message>
  <RequestId>656c76696e6727732072657175657374</RequestId>
  <HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>
</Error>)");
  ASSERT_FALSE(etag.ok());
  // Retryable: AWS documents an InternalError inside a 200 as transient.
  EXPECT_EQ(etag.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(etag.status().s3_code(), "InternalError");
  EXPECT_EQ(etag.status().http_status(), 200);
  EXPECT_EQ(etag.status().request_id(), "656c76696e6727732072657175657374");
  EXPECT_NE(etag.status().message().find("InternalError"), std::string::npos);
  EXPECT_EQ(etag.status().message().find('\n'), std::string::npos);
}

TEST(ParseCompleteMultipartTest, InvalidPartInside200) {
  auto etag = ParseCompleteMultipart(
      "<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be "
      "found.</Message><UploadId>abc</UploadId><PartNumber>2</PartNumber><RequestId>r1"
      "</RequestId></Error>");
  ASSERT_FALSE(etag.ok());
  EXPECT_EQ(etag.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(etag.status().s3_code(), "InvalidPart");
}

TEST(ParseListPartsTest, AwsShapeTruncated) {
  auto page = ParseListParts(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>example-bucket</Bucket>
  <Key>example-object</Key>
  <UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</UploadId>
  <Initiator>
      <ID>arn:aws:iam::111122223333:user/some-user-11116a31-17b5-4fb7-9df5-b288870f11xx</ID>
      <DisplayName>umat-user-11116a31-17b5-4fb7-9df5-b288870f11xx</DisplayName>
  </Initiator>
  <Owner>
    <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
    <DisplayName>someName</DisplayName>
  </Owner>
  <StorageClass>STANDARD</StorageClass>
  <PartNumberMarker>1</PartNumberMarker>
  <NextPartNumberMarker>3</NextPartNumberMarker>
  <MaxParts>2</MaxParts>
  <IsTruncated>true</IsTruncated>
  <Part>
    <PartNumber>2</PartNumber>
    <LastModified>2010-11-10T20:48:34.000Z</LastModified>
    <ETag>"7778aef83f66abc1fa1e8477f296d394"</ETag>
    <Size>10485760</Size>
  </Part>
  <Part>
    <PartNumber>3</PartNumber>
    <LastModified>2010-11-10T20:48:33.000Z</LastModified>
    <ETag>"aaaa18db4cc2f85cedef654fccc4a4x8"</ETag>
    <Size>10485760</Size>
  </Part>
</ListPartsResult>)");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->parts.size(), 2u);
  EXPECT_EQ(page->parts[0].number, 2);
  EXPECT_EQ(page->parts[0].etag, "7778aef83f66abc1fa1e8477f296d394");
  EXPECT_EQ(page->parts[0].size, 10485760u);
  EXPECT_EQ(page->parts[1].number, 3);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_part_number_marker, 3);
}

TEST(ParseListPartsTest, RgwShapeLastPage) {
  auto page = ParseListParts(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListPartsResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket><Key>k</Key>"
      "<UploadId>2~abc</UploadId><StorageClass>STANDARD</StorageClass>"
      "<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>1</NextPartNumberMarker>"
      "<MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated><Owner><ID>t</ID>"
      "<DisplayName>T</DisplayName></Owner><Part><LastModified>2024-02-01T00:00:00.000Z"
      "</LastModified><PartNumber>1</PartNumber><ETag>&quot;5d41402abc4b2a76b9719d911017c592"
      "&quot;</ETag><Size>5242880</Size></Part></ListPartsResult>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->parts.size(), 1u);
  EXPECT_EQ(page->parts[0].number, 1);
  EXPECT_EQ(page->parts[0].etag, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(page->parts[0].size, 5242880u);
  EXPECT_FALSE(page->truncated);
}

TEST(ParseListPartsTest, TruncatedWithoutNextMarkerContinuesAfterLastPart) {
  auto page = ParseListParts(
      "<ListPartsResult><IsTruncated>true</IsTruncated><Part><PartNumber>7</PartNumber>"
      "<ETag>\"e\"</ETag><Size>1</Size></Part></ListPartsResult>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->next_part_number_marker, 7);
}

TEST(ParseListPartsTest, TruncatedWithNothingToContinueFromIsMalformed) {
  for (const char* marker : {"", "<NextPartNumberMarker>0</NextPartNumberMarker>",
                             "<NextPartNumberMarker>-3</NextPartNumberMarker>"}) {
    SCOPED_TRACE(marker);
    auto page = ParseListParts(std::string("<ListPartsResult><IsTruncated>true</IsTruncated>") +
                               marker + "</ListPartsResult>");
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.status().code(), StatusCode::kInternal);
  }
}

TEST(ParseListPartsTest, PartWithoutNumberIsMalformed) {
  auto page = ParseListParts("<ListPartsResult><Part><ETag>\"e\"</ETag></Part></ListPartsResult>");
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), StatusCode::kInternal);
}

TEST(ParseListMultipartUploadsTest, AwsShape) {
  auto page = ParseListMultipartUploads(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>bucket</Bucket>
  <KeyMarker></KeyMarker>
  <UploadIdMarker></UploadIdMarker>
  <NextKeyMarker>my-movie.m2ts</NextKeyMarker>
  <NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</NextUploadIdMarker>
  <MaxUploads>3</MaxUploads>
  <IsTruncated>true</IsTruncated>
  <Upload>
    <Key>my-divisor</Key>
    <UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>
    <Initiator>
      <ID>arn:aws:iam::111122223333:user/user1-11111a31-17b5-4fb7-9df5-b111111f13de</ID>
      <DisplayName>user1-11111a31-17b5-4fb7-9df5-b111111f13de</DisplayName>
    </Initiator>
    <Owner>
      <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
      <DisplayName>OwnerDisplayName</DisplayName>
    </Owner>
    <StorageClass>REDUCED_REDUNDANCY</StorageClass>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated>
  </Upload>
  <Upload>
    <Key>my-movie.m2ts</Key>
    <UploadId>VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
    <StorageClass>STANDARD</StorageClass>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated>
  </Upload>
</ListMultipartUploadsResult>)");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->uploads.size(), 2u);
  EXPECT_EQ(page->uploads[0].key, "my-divisor");
  EXPECT_EQ(page->uploads[0].upload_id, "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw");
  EXPECT_EQ(page->uploads[0].initiated, "2010-11-10T20:48:33.000Z");
  EXPECT_EQ(page->uploads[1].key, "my-movie.m2ts");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_key_marker, "my-movie.m2ts");
  EXPECT_EQ(page->next_upload_id_marker, "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ");
}

TEST(ParseListMultipartUploadsTest, RgwShapeAndUrlEncoding) {
  auto rgw = ParseListMultipartUploads(
      "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Bucket>b</Bucket><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>"
      "<Upload><Key> </Key><UploadId>2~x</UploadId><Initiator><ID>t</ID><DisplayName>T"
      "</DisplayName></Initiator><Owner><ID>t</ID><DisplayName>T</DisplayName></Owner>"
      "<StorageClass>STANDARD</StorageClass><Initiated>2024-02-01T00:00:00.000Z</Initiated>"
      "</Upload><CommonPrefixes><Prefix>a/</Prefix><Prefix>b/</Prefix></CommonPrefixes>"
      "</ListMultipartUploadsResult>");
  ASSERT_TRUE(rgw.ok()) << rgw.status().ToString();
  ASSERT_EQ(rgw->uploads.size(), 1u);
  EXPECT_EQ(rgw->uploads[0].key, " ");
  EXPECT_FALSE(rgw->truncated);

  auto encoded = ParseListMultipartUploads(
      "<ListMultipartUploadsResult><EncodingType>url</EncodingType><IsTruncated>true"
      "</IsTruncated><NextKeyMarker>a%20b</NextKeyMarker><NextUploadIdMarker>u"
      "</NextUploadIdMarker><Upload><Key>a%20b</Key><UploadId>u</UploadId></Upload>"
      "</ListMultipartUploadsResult>");
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  EXPECT_EQ(encoded->uploads[0].key, "a b");
  EXPECT_EQ(encoded->next_key_marker, "a b");
}

TEST(ParseListMultipartUploadsTest, TruncatedWithoutNextKeyMarkerContinuesAfterLastUpload) {
  auto page = ParseListMultipartUploads(
      "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated><Upload><Key>a</Key>"
      "<UploadId>u1</UploadId></Upload><Upload><Key>b</Key><UploadId>u2</UploadId></Upload>"
      "</ListMultipartUploadsResult>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->next_key_marker, "b");
  EXPECT_EQ(page->next_upload_id_marker, "u2");

  auto empty = ParseListMultipartUploads(
      "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated></ListMultipartUploadsResult>");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInternal);
}

// ---- DeleteObjects -----------------------------------------------------------

TEST(ParseDeleteResultTest, AwsShapeReturnsOnlyFailures) {
  auto errors = ParseDeleteResult(R"(<?xml version="1.0" encoding="UTF-8"?>
<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Deleted>
    <Key>sample1.txt</Key>
  </Deleted>
  <Error>
    <Key>sample2.txt</Key>
    <Code>AccessDenied</Code>
    <Message>Access Denied</Message>
  </Error>
  <Error>
    <Key>a &amp; b.txt</Key>
    <Code>InternalError</Code>
    <Message>We encountered an internal error. Please try again.</Message>
  </Error>
</DeleteResult>)");
  ASSERT_TRUE(errors.ok()) << errors.status().ToString();
  ASSERT_EQ(errors->size(), 2u);
  EXPECT_EQ((*errors)[0].key, "sample2.txt");
  EXPECT_EQ((*errors)[0].code, "AccessDenied");
  EXPECT_EQ((*errors)[0].message, "Access Denied");
  EXPECT_EQ((*errors)[1].key, "a & b.txt");
  EXPECT_EQ((*errors)[1].code, "InternalError");
}

TEST(ParseDeleteResultTest, AllDeleted) {
  auto quiet = ParseDeleteResult(
      "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></DeleteResult>");
  ASSERT_TRUE(quiet.ok()) << quiet.status().ToString();
  EXPECT_TRUE(quiet->empty());
  auto verbose = ParseDeleteResult(
      "<DeleteResult><Deleted><Key>a</Key></Deleted><Deleted><Key>b</Key><DeleteMarker>true"
      "</DeleteMarker><DeleteMarkerVersionId>v</DeleteMarkerVersionId></Deleted>"
      "</DeleteResult>");
  ASSERT_TRUE(verbose.ok());
  EXPECT_TRUE(verbose->empty());
}

TEST(ParseDeleteResultTest, RgwNumericCodeIsNormalised) {
  auto errors = ParseDeleteResult(
      "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Error><Key>k</Key>"
      "<VersionId></VersionId><Code>403</Code><Message>AccessDenied</Message></Error>"
      "</DeleteResult>");
  ASSERT_TRUE(errors.ok()) << errors.status().ToString();
  ASSERT_EQ(errors->size(), 1u);
  EXPECT_EQ((*errors)[0].key, "k");
  EXPECT_EQ((*errors)[0].code, "AccessDenied");
  EXPECT_EQ((*errors)[0].message, "HTTP 403");
}

TEST(ParseDeleteResultTest, WholeRequestErrorIsAnError) {
  auto errors = ParseDeleteResult(
      "<Error><Code>MalformedXML</Code><Message>The XML you provided was not well-formed"
      "</Message><RequestId>r</RequestId></Error>");
  ASSERT_FALSE(errors.ok());
  EXPECT_EQ(errors.status().code(), StatusCode::kInvalidArgument);
}

// ---- CopyObject ------------------------------------------------------------------

TEST(ParseCopyObjectTest, AwsShapeAndCopyPart) {
  auto etag = ParseCopyObject(R"(<?xml version="1.0" encoding="UTF-8"?>
<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <LastModified>2009-10-28T22:32:00.000Z</LastModified>
  <ETag>"9b2cf535f27731c974343645a3985328"</ETag>
</CopyObjectResult>)");
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(*etag, "9b2cf535f27731c974343645a3985328");

  auto part = ParseCopyObject(
      "<CopyPartResult><LastModified>2011-04-11T20:34:56.000Z</LastModified>"
      "<ETag>\"9b2cf535f27731c974343645a3985328\"</ETag></CopyPartResult>");
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  EXPECT_EQ(*part, "9b2cf535f27731c974343645a3985328");
}

TEST(ParseCopyObjectTest, ErrorInside200IsAnError) {
  auto etag = ParseCopyObject(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>Please "
      "reduce your request rate.</Message><RequestId>tx1</RequestId><HostId>h</HostId></Error>");
  ASSERT_FALSE(etag.ok());
  EXPECT_EQ(etag.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(etag.status().s3_code(), "SlowDown");
  EXPECT_EQ(etag.status().request_id(), "tx1");

  auto denied = ParseCopyObject("<Error><Code>AccessDenied</Code></Error>");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied);
}

// ---- Error documents ---------------------------------------------------------------

TEST(ParseErrorTest, AwsShape) {
  S3ErrorBody e;
  ASSERT_TRUE(ParseError(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The resource you requested does not exist</Message>
  <Resource>/mybucket/myfoto.jpg</Resource>
  <RequestId>4442587FB7D0A2F9</RequestId>
</Error>)",
                         &e));
  EXPECT_EQ(e.code, "NoSuchKey");
  EXPECT_EQ(e.message, "The resource you requested does not exist");
  EXPECT_EQ(e.resource, "/mybucket/myfoto.jpg");
  EXPECT_EQ(e.request_id, "4442587FB7D0A2F9");
}

TEST(ParseErrorTest, RgwShapeWithoutMessage) {
  S3ErrorBody e;
  ASSERT_TRUE(ParseError(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchBucket</Code>"
      "<BucketName>nope</BucketName><RequestId>tx000000000000000000003-0065f0a1b2-1030-default"
      "</RequestId><HostId>1030-default-default</HostId></Error>",
      &e));
  EXPECT_EQ(e.code, "NoSuchBucket");
  EXPECT_EQ(e.message, "");
  EXPECT_EQ(e.request_id, "tx000000000000000000003-0065f0a1b2-1030-default");
}

TEST(ParseErrorTest, OtherBodiesAreNotErrors) {
  S3ErrorBody e;
  EXPECT_FALSE(ParseError("", &e));
  EXPECT_FALSE(
      ParseError("<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n"
                 "<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n"
                 "<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n",
                 &e));
  EXPECT_FALSE(ParseError("<ListBucketResult/>", &e));
  EXPECT_FALSE(ParseError("Service Unavailable", &e));
}

}  // namespace
}  // namespace gwsync::s3::xml
