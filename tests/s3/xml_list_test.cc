// ListObjects answers as AWS and Ceph RGW write them (V1 and V2, URL-
// and XML-escaped keys, common prefixes, markers), and the request bodies
// gwsync builds (Delete, CompleteMultipartUpload) read back as a gateway would.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "s3/xml.h"

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

namespace gwsync::s3::xml {
namespace {

// What a request body (BuildDelete's keys, the feed's notification
// configuration) carries as character data.
TEST(XmlEscapeTest, EntitiesAndControlCharactersAreReferences) {
  EXPECT_EQ(Escape("a&b<c>\"d'"), "a&amp;b&lt;c&gt;&quot;d&apos;");
  EXPECT_EQ(Escape(std::string("t\tn\n", 4)), "t&#9;n&#10;");
  EXPECT_EQ(Escape("arn:aws:sns:default::gwsync-b"), "arn:aws:sns:default::gwsync-b");
}

}  // namespace
}  // namespace gwsync::s3::xml
