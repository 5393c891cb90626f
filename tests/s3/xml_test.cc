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

constexpr char kXmlDecl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

std::string ListResult(const std::string& inner) {
  return std::string(kXmlDecl) +
         "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + inner +
         "</ListBucketResult>";
}

// The key a gateway listing `escaped_key` (already XML-escaped) returns.
std::string RoundTripKey(const std::string& escaped_key) {
  auto page = ParseListObjects(ListResult("<IsTruncated>false</IsTruncated><Contents><Key>" +
                                          escaped_key + "</Key><Size>1</Size></Contents>"));
  EXPECT_TRUE(page.ok()) << page.status().ToString();
  if (!page.ok() || page->objects.size() != 1) return "<missing>";
  return page->objects[0].key;
}

// ---- ListObjectsV2 -------------------------------------------------------

constexpr char kAwsV2Truncated[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix></Prefix>
  <KeyCount>2</KeyCount>
  <MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <ContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</ContinuationToken>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwN=</NextContinuationToken>
  <StartAfter>ExampleGuide.pdf</StartAfter>
  <Contents>
    <Key>ExampleObject.txt</Key>
    <LastModified>2013-09-17T18:07:53.000Z</LastModified>
    <ETag>&quot;599bab3ed2c697f1d26842727561fd94&quot;</ETag>
    <Size>857</Size>
    <StorageClass>REDUCED_REDUNDANCY</StorageClass>
  </Contents>
  <Contents>
    <Key>happyface.jpg</Key>
    <LastModified>2014-11-21T19:40:05.000Z</LastModified>
    <ETag>"70ee1738b6b21e2c8a43f3a5ab0eee71-2"</ETag>
    <Size>11000000000</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
</ListBucketResult>)";

TEST(ParseListObjectsTest, V2PageWithContinuationToken) {
  auto page = ParseListObjects(kAwsV2Truncated);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "ExampleObject.txt");
  EXPECT_EQ(page->objects[0].size, 857u);
  EXPECT_EQ(page->objects[0].etag, "599bab3ed2c697f1d26842727561fd94");
  EXPECT_EQ(page->objects[0].last_modified, "2013-09-17T18:07:53.000Z");
  EXPECT_EQ(page->objects[0].storage_class, "REDUCED_REDUNDANCY");
  EXPECT_EQ(page->objects[1].key, "happyface.jpg");
  EXPECT_EQ(page->objects[1].size, 11000000000u);  // past 32 bits
  EXPECT_EQ(page->objects[1].etag, "70ee1738b6b21e2c8a43f3a5ab0eee71-2");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwN=");
  EXPECT_TRUE(page->common_prefixes.empty());
}

TEST(ParseListObjectsTest, V2LastPage) {
  auto page = ParseListObjects(ListResult(
      "<Name>b</Name><Prefix>logs/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>"
      "<IsTruncated>false</IsTruncated><Contents><Key>logs/a</Key><Size>0</Size></Contents>"));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_FALSE(page->truncated);
  EXPECT_EQ(page->next_token, "");
  EXPECT_EQ(page->next_marker, "");
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].size, 0u);
}

TEST(ParseListObjectsTest, EmptyBucket) {
  auto page = ParseListObjects(
      ListResult("<Name>b</Name><Prefix/><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>"
                 "<IsTruncated>false</IsTruncated>"));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->objects.empty());
  EXPECT_TRUE(page->common_prefixes.empty());
  EXPECT_FALSE(page->truncated);
}

// ---- ListObjects V1 ------------------------------------------------------

// Ceph RGW's V1 shape: Marker always, NextMarker only with a delimiter,
// Owner and Type inside Contents.
constexpr char kRgwV1TruncatedNoNextMarker[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>photos</Name><Prefix></Prefix><Marker></Marker><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated><Contents><Key>2023/a.jpg</Key><LastModified>2023-05-01T10:00:00.123Z</LastModified><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass><Owner><ID>tester</ID><DisplayName>Tester</DisplayName></Owner><Type>Normal</Type></Contents><Contents><Key>2023/b.jpg</Key><LastModified>2023-05-01T10:00:01.000Z</LastModified><ETag>&quot;9b2cf535f27731c974343645a3985329&quot;</ETag><Size>6</Size><StorageClass>STANDARD</StorageClass><Owner><ID>tester</ID><DisplayName>Tester</DisplayName></Owner><Type>Normal</Type></Contents></ListBucketResult>)";

TEST(ParseListObjectsTest, V1TruncatedWithoutNextMarkerContinuesAfterLastKey) {
  auto page = ParseListObjects(kRgwV1TruncatedNoNextMarker);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "2023/a.jpg");
  EXPECT_EQ(page->objects[0].etag, "9b2cf535f27731c974343645a3985328");
  EXPECT_EQ(page->objects[1].size, 6u);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "");
  EXPECT_EQ(page->next_marker, "2023/b.jpg");
}

TEST(ParseListObjectsTest, V1NextMarkerIsTakenAsSent) {
  auto page = ParseListObjects(
      ListResult("<Name>b</Name><Prefix/><Marker>a</Marker><NextMarker>photos/</NextMarker>"
                 "<MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
                 "<Contents><Key>b.txt</Key><Size>1</Size></Contents>"
                 "<CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes>"));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->next_marker, "photos/");
}

TEST(ParseListObjectsTest, V1WithoutNextMarkerUsesGreaterOfLastKeyAndLastPrefix) {
  // The last common prefix sorts after the last key.
  auto a =
      ParseListObjects(ListResult("<IsTruncated>true</IsTruncated><Delimiter>/</Delimiter>"
                                  "<Contents><Key>a.txt</Key><Size>1</Size></Contents>"
                                  "<Contents><Key>b.txt</Key><Size>1</Size></Contents>"
                                  "<CommonPrefixes><Prefix>c/</Prefix></CommonPrefixes>"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->next_marker, "c/");

  // The last key sorts after the last common prefix.
  auto b =
      ParseListObjects(ListResult("<IsTruncated>true</IsTruncated>"
                                  "<Contents><Key>z.txt</Key><Size>1</Size></Contents>"
                                  "<CommonPrefixes><Prefix>m/</Prefix></CommonPrefixes>"));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->next_marker, "z.txt");

  // Byte order, not signed char order: "\xc3\xa9" (é) sorts after "z".
  auto c =
      ParseListObjects(ListResult("<IsTruncated>true</IsTruncated>"
                                  "<Contents><Key>z</Key><Size>1</Size></Contents>"
                                  "<CommonPrefixes><Prefix>\xc3\xa9/</Prefix></CommonPrefixes>"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->next_marker, "\xc3\xa9/");

  // Only common prefixes on the page.
  auto d =
      ParseListObjects(ListResult("<IsTruncated>true</IsTruncated>"
                                  "<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>"
                                  "<CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes>"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->next_marker, "b/");
}

TEST(ParseListObjectsTest, TruncatedPageWithNothingToContinueFromIsMalformed) {
  auto page = ParseListObjects(ListResult("<IsTruncated>true</IsTruncated>"));
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), StatusCode::kInternal);
  EXPECT_NE(page.status().message().find("malformed"), std::string::npos);
}

// ---- Common prefixes -------------------------------------------------------

TEST(ParseListObjectsTest, CommonPrefixesAwsShape) {
  auto page = ParseListObjects(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>example-bucket</Name>
  <Prefix>photos/2006/</Prefix>
  <KeyCount>3</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <Delimiter>/</Delimiter>
  <IsTruncated>false</IsTruncated>
  <Contents>
    <Key>photos/2006/index.html</Key>
    <LastModified>2006-01-01T12:00:00.000Z</LastModified>
    <ETag>"ce1acdafcc879d7eee54cf4e97334078"</ETag>
    <Size>1234</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <CommonPrefixes>
    <Prefix>photos/2006/February/</Prefix>
  </CommonPrefixes>
  <CommonPrefixes>
    <Prefix>photos/2006/January/</Prefix>
  </CommonPrefixes>
</ListBucketResult>)");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "photos/2006/index.html");
  EXPECT_EQ(page->common_prefixes,
            (std::vector<std::string>{"photos/2006/February/", "photos/2006/January/"}));
}

TEST(ParseListObjectsTest, SeveralPrefixesInOneCommonPrefixesElement) {
  auto page = ParseListObjects(
      ListResult("<IsTruncated>false</IsTruncated>"
                 "<CommonPrefixes><Prefix>a/</Prefix><Prefix>b/</Prefix></CommonPrefixes>"));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->common_prefixes, (std::vector<std::string>{"a/", "b/"}));
}

// ---- Encoded and unusual keys ----------------------------------------------

TEST(ParseListObjectsTest, UrlEncodedKeysAreDecoded) {
  // AWS lists EncodingType after the entries and writes a space as '+'.
  auto page = ParseListObjects(ListResult(
      "<Name>b</Name><Prefix>dir%2F</Prefix><KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys>"
      "<Delimiter>%2F</Delimiter><IsTruncated>false</IsTruncated>"
      "<Contents><Key>dir/caf%C3%A9+menu%2B1.txt</Key><Size>3</Size></Contents>"
      "<Contents><Key>dir/line%0Abreak%25</Key><Size>4</Size></Contents>"
      "<CommonPrefixes><Prefix>dir/sub+dir%2F</Prefix></CommonPrefixes>"
      "<EncodingType>url</EncodingType>"));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "dir/caf\xc3\xa9 menu+1.txt");
  EXPECT_EQ(page->objects[1].key, "dir/line\nbreak%");
  EXPECT_EQ(page->common_prefixes, (std::vector<std::string>{"dir/sub dir/"}));
}

TEST(ParseListObjectsTest, UrlEncodedRgwStyleKeysAndNextMarker) {
  // Ceph RGW escapes with %20 and %2B and also encodes NextMarker.
  auto page = ParseListObjects(ListResult(
      "<Name>b</Name><Prefix></Prefix><Marker></Marker><NextMarker>my%20file%2B2</NextMarker>"
      "<MaxKeys>1</MaxKeys><Delimiter>%2F</Delimiter><IsTruncated>true</IsTruncated>"
      "<EncodingType>url</EncodingType>"
      "<Contents><Key>my%20file%2B2</Key><Size>1</Size></Contents>"));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "my file+2");
  EXPECT_EQ(page->next_marker, "my file+2");
}

TEST(ParseListObjectsTest, KeysAreNotDecodedWithoutEncodingType) {
  EXPECT_EQ(RoundTripKey("100%25+a%20b"), "100%25+a%20b");
}

TEST(ParseListObjectsTest, BadUrlEncodingIsMalformed) {
  auto page =
      ParseListObjects(ListResult("<IsTruncated>false</IsTruncated><EncodingType>url</EncodingType>"
                                  "<Contents><Key>bad%zz</Key><Size>1</Size></Contents>"));
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), StatusCode::kInternal);
}

TEST(ParseListObjectsTest, XmlEscapedKeysRoundTrip) {
  EXPECT_EQ(RoundTripKey("a&amp;b&lt;c&gt;d&quot;e&apos;f"), "a&b<c>d\"e'f");
  EXPECT_EQ(RoundTripKey("tab&#9;lf&#10;cr&#13;end"), "tab\tlf\ncr\rend");
  EXPECT_EQ(RoundTripKey("hex&#x41;&#x20AC;"), "hexA\xe2\x82\xac");
  EXPECT_EQ(RoundTripKey("<![CDATA[raw <b> & co]]>"), "raw <b> & co");
}

TEST(ParseListObjectsTest, UnicodeKeysRoundTrip) {
  const std::string key =
      "\xe6\x97\xa5\xe6\x9c\xac/\xd1\x84\xd0\xb0\xd0\xb9\xd0\xbb \xf0\x9f\x98\x80.txt";
  EXPECT_EQ(RoundTripKey(key), key);
}

TEST(ParseListObjectsTest, WhitespaceKeysRoundTrip) {
  EXPECT_EQ(RoundTripKey(" "), " ");
  EXPECT_EQ(RoundTripKey("   "), "   ");
  EXPECT_EQ(RoundTripKey("\t"), "\t");
  EXPECT_EQ(RoundTripKey("&#10;"), "\n");
  EXPECT_EQ(RoundTripKey("  lead and trail  "), "  lead and trail  ");
  EXPECT_EQ(RoundTripKey("dir/ "), "dir/ ");
}

TEST(ParseListObjectsTest, WhitespaceOnlyPrefixRoundTrips) {
  auto page = ParseListObjects(ListResult(
      "<IsTruncated>false</IsTruncated><CommonPrefixes><Prefix> /</Prefix></CommonPrefixes>"
      "<CommonPrefixes><Prefix>  </Prefix></CommonPrefixes>"));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->common_prefixes, (std::vector<std::string>{" /", "  "}));
}

// ---- Tolerance ---------------------------------------------------------------

TEST(ParseListObjectsTest, MissingOptionalElementsAreTolerated) {
  auto page = ParseListObjects(
      "<ListBucketResult><Contents><Key>k</Key></Contents>"
      "</ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "k");
  EXPECT_EQ(page->objects[0].size, 0u);
  EXPECT_EQ(page->objects[0].etag, "");
  EXPECT_FALSE(page->truncated);
}

TEST(ParseListObjectsTest, NamespacePrefixesAreIgnored) {
  auto page = ParseListObjects(
      "<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<s3:IsTruncated>TRUE</s3:IsTruncated><s3:NextContinuationToken>t</s3:NextContinuationToken>"
      "<s3:Contents><s3:Key>k</s3:Key><s3:Size> 42 </s3:Size></s3:Contents>"
      "</s3:ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].size, 42u);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "t");
}

TEST(ParseListObjectsTest, UnreadableBodiesAreInternalErrors) {
  for (const char* body :
       {"", "not xml", "<ListBucketResult><Contents>", "<html><body>502 Bad Gateway</body></html>",
        "<ListAllMyBucketsResult/>"}) {
    SCOPED_TRACE(body);
    auto page = ParseListObjects(body);
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.status().code(), StatusCode::kInternal);
    EXPECT_NE(page.status().message().find("malformed ListObjects response"), std::string::npos)
        << page.status().message();
  }
}

TEST(ParseListObjectsTest, BadSizeOrMissingKeyIsMalformed) {
  for (const char* contents :
       {"<Key>k</Key><Size>-1</Size>", "<Key>k</Key><Size>12ab</Size>",
        "<Key>k</Key><Size>99999999999999999999999</Size>", "<Size>1</Size>"}) {
    SCOPED_TRACE(contents);
    auto page = ParseListObjects(ListResult(std::string("<IsTruncated>false</IsTruncated>") +
                                            "<Contents>" + contents + "</Contents>"));
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.status().code(), StatusCode::kInternal);
  }
}

TEST(ParseListObjectsTest, ErrorDocumentIsReturnedAsError) {
  auto page = ParseListObjects(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchBucket</Code><BucketName>gone</BucketName><RequestId>tx00000000000000000001a-0065a1b2c3-1234-default</RequestId><HostId>1234-default-default</HostId></Error>)");
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(page.status().s3_code(), "NoSuchBucket");
  EXPECT_EQ(page.status().request_id(), "tx00000000000000000001a-0065a1b2c3-1234-default");
}

TEST(ParseListObjectsTest, ThousandKeyPageParsesQuickly) {
  std::string inner =
      "<Name>b</Name><KeyCount>1000</KeyCount><MaxKeys>1000</MaxKeys>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>next"
      "</NextContinuationToken>";
  for (int i = 0; i < 1000; ++i) {
    char key[64];
    std::snprintf(key, sizeof key, "data/2024/%06d &amp; more.bin", i);
    inner += "\n  <Contents><Key>";
    inner += key;
    inner +=
        "</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
        "<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>";
    inner += std::to_string(i * 1000);
    inner +=
        "</Size><StorageClass>STANDARD</StorageClass><Owner><ID>o</ID>"
        "<DisplayName>o</DisplayName></Owner></Contents>";
  }
  const std::string body = ListResult(inner);

  // Speed is measured by bench/ (BM_ParseListPage), not asserted here.
  auto page = ParseListObjects(body);

  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1000u);
  EXPECT_EQ(page->objects[0].key, "data/2024/000000 & more.bin");
  EXPECT_EQ(page->objects[999].key, "data/2024/000999 & more.bin");
  EXPECT_EQ(page->objects[999].size, 999000u);
  EXPECT_EQ(page->next_token, "next");
}

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
  EXPECT_TRUE(etag.status().IsTransient());
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

// ---- Other gateways' shapes --------------------------------------------------------
// Answers are read by their elements, as the AWS SDKs read them: the root's
// name and namespace differ between gateways and do not matter.

// moto 5.2.1's answer to CompleteMultipartUpload, as sent.
constexpr char kMotoComplete[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<CompleteMultipartUploadResponse "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Location>http://rawb.s3.amazonaws.com/mp"
    "</Location><Bucket>rawb</Bucket><Key>mp</Key><ETag>\"a4b0dfcb6275073cf676b2367da6b4f7-2\""
    "</ETag></CompleteMultipartUploadResponse>";

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

// ---- Builders ----------------------------------------------------------------------

// The text between <Key> and </Key> of each object in a <Delete> body.
std::vector<std::string> KeysIn(const std::string& body) {
  std::vector<std::string> keys;
  size_t pos = 0;
  while ((pos = body.find("<Key>", pos)) != std::string::npos) {
    size_t end = body.find("</Key>", pos);
    keys.push_back(body.substr(pos + 5, end - pos - 5));
    pos = end;
  }
  return keys;
}

TEST(BuildDeleteTest, ShapeAndQuiet) {
  std::string body = BuildDelete({"a.txt", "dir/b.txt"});
  EXPECT_EQ(body.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0), 0u);
  EXPECT_NE(body.find("<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                      "<Quiet>true</Quiet><Object><Key>a.txt</Key></Object>"
                      "<Object><Key>dir/b.txt</Key></Object></Delete>"),
            std::string::npos)
      << body;
}

TEST(BuildDeleteTest, KeysAreEscapedAndRoundTrip) {
  const std::vector<std::string> keys = {
      "a&b<c>d\"e'f", " ",    "  spaced  ", "tab\tlf\ncr\r", "\xe6\x97\xa5\xe6\x9c\xac.txt",
      "]]>",          "&amp;"};
  std::string body = BuildDelete(keys);
  std::vector<std::string> escaped = KeysIn(body);
  ASSERT_EQ(escaped.size(), keys.size());
  EXPECT_EQ(escaped[0], "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  EXPECT_EQ(escaped[3], "tab&#9;lf&#10;cr&#13;");
  EXPECT_EQ(escaped[6], "&amp;amp;");
  for (size_t i = 0; i < keys.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(escaped[i].find_first_of("<>\"'\t\n\r"), std::string::npos);
    // What a gateway's XML parser reads back is the key itself.
    EXPECT_EQ(RoundTripKey(escaped[i]), keys[i]);
  }
}

TEST(BuildDeleteTest, OtherControlCharactersBecomeReferences) {
  std::string body = BuildDelete({std::string("a\x01z\x7f", 4)});
  EXPECT_NE(body.find("<Key>a&#1;z&#127;</Key>"), std::string::npos) << body;
}

TEST(BuildCompleteMultipartTest, PartsInOrderWithQuotedEtags) {
  std::string body =
      BuildCompleteMultipart({{.number = 1, .etag = "a54357aff0632cce46d942af68356b38"},
                              {.number = 2, .etag = "\"0c78aef83f66abc1fa1e8477f296d394\""},
                              {.number = 10000, .etag = "acbd18db4cc2f85cedef654fccc4a4d8"}});
  EXPECT_EQ(body.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0), 0u);
  EXPECT_NE(
      body.find("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Part><PartNumber>1</PartNumber><ETag>\"a54357aff0632cce46d942af68356b38\"</ETag>"
                "</Part><Part><PartNumber>2</PartNumber>"
                "<ETag>\"0c78aef83f66abc1fa1e8477f296d394\"</ETag></Part>"
                "<Part><PartNumber>10000</PartNumber>"
                "<ETag>\"acbd18db4cc2f85cedef654fccc4a4d8\"</ETag></Part>"
                "</CompleteMultipartUpload>"),
      std::string::npos)
      << body;
}

TEST(UnquoteEtagTest, Cases) {
  EXPECT_EQ(UnquoteEtag("\"abc\""), "abc");
  EXPECT_EQ(UnquoteEtag("abc"), "abc");
  EXPECT_EQ(UnquoteEtag(" \"abc-3\" "), "abc-3");
  EXPECT_EQ(UnquoteEtag("\"\""), "");
  EXPECT_EQ(UnquoteEtag(""), "");
  EXPECT_EQ(UnquoteEtag("\""), "\"");
}

}  // namespace
}  // namespace gwsync::s3::xml
