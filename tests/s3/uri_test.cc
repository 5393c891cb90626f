#include "s3/uri.h"

#include <gtest/gtest.h>

#include <string>

namespace gwsync::s3 {
namespace {

TEST(UriEncodeTest, UnreservedCharactersPassThrough) {
  const std::string unreserved =
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  EXPECT_EQ(UriEncode(unreserved, true), unreserved);
  EXPECT_EQ(UriEncode(unreserved, false), unreserved);
}

TEST(UriEncodeTest, SpaceBecomesPercent20NotPlus) {
  EXPECT_EQ(UriEncode("my key.txt", false), "my%20key.txt");
  EXPECT_EQ(UriEncode(" ", true), "%20");
}

TEST(UriEncodeTest, ReservedAndSpecialCharactersAreEscapedUpperCase) {
  EXPECT_EQ(UriEncode("a+b", false), "a%2Bb");
  EXPECT_EQ(UriEncode("100%", false), "100%25");
  EXPECT_EQ(UriEncode("what?", false), "what%3F");
  EXPECT_EQ(UriEncode("#tag", false), "%23tag");
  EXPECT_EQ(UriEncode("!*'()", false), "%21%2A%27%28%29");
  EXPECT_EQ(UriEncode("a=b&c;d:e@f,g$h", true), "a%3Db%26c%3Bd%3Ae%40f%2Cg%24h");
  EXPECT_EQ(UriEncode("~user", false), "~user");
}

TEST(UriEncodeTest, SlashKeptOrEncodedOnRequest) {
  EXPECT_EQ(UriEncode("/bucket/dir/file", false), "/bucket/dir/file");
  EXPECT_EQ(UriEncode("/bucket/dir/file", true), "%2Fbucket%2Fdir%2Ffile");
  // Empty path segments are part of an S3 key and must survive.
  EXPECT_EQ(UriEncode("a//b/", false), "a//b/");
  EXPECT_EQ(UriEncode("a//b/", true), "a%2F%2Fb%2F");
}

TEST(UriEncodeTest, UnicodeIsEncodedAsUtf8Bytes) {
  EXPECT_EQ(UriEncode("\xE1\x88\xB4", false), "%E1%88%B4");  // U+1234
  EXPECT_EQ(UriEncode("caf\xC3\xA9/na\xC3\xAFve", false), "caf%C3%A9/na%C3%AFve");
  EXPECT_EQ(UriEncode("\xF0\x9F\x98\x80", false), "%F0%9F%98%80");  // U+1F600
}

TEST(UriEncodeTest, ControlAndHighBytes) {
  EXPECT_EQ(UriEncode(std::string("a\0b", 3), false), "a%00b");
  EXPECT_EQ(UriEncode("\n\t\x7F\xFF", false), "%0A%09%7F%FF");
}

TEST(UriEncodeTest, LongKeyRoundTrips) {
  std::string key;
  while (key.size() < 1024) key += "dir one/f\xC3\xBCr+%?#~";
  key.resize(1024);
  std::string encoded = UriEncode(key, false);
  EXPECT_EQ(encoded.find_first_of(" +?#"), std::string::npos);
  std::string decoded;
  ASSERT_TRUE(UriDecode(encoded, &decoded));
  EXPECT_EQ(decoded, key);

  const std::string spaces(1024, ' ');
  std::string expected;
  for (int i = 0; i < 1024; ++i) expected += "%20";
  EXPECT_EQ(UriEncode(spaces, true), expected);
}

TEST(UriEncodeTest, EveryByteRoundTrips) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  for (bool encode_slash : {true, false}) {
    std::string decoded;
    ASSERT_TRUE(UriDecode(UriEncode(all, encode_slash), &decoded));
    EXPECT_EQ(decoded, all);
  }
}

TEST(UriDecodeTest, DecodesEitherHexCase) {
  std::string out;
  ASSERT_TRUE(UriDecode("%41%42c", &out));
  EXPECT_EQ(out, "ABc");
  ASSERT_TRUE(UriDecode("pr%c3%a9f%C3%A8re", &out));
  EXPECT_EQ(out,
            "pr\xC3\xA9"
            "f\xC3\xA8re");
  ASSERT_TRUE(UriDecode("", &out));
  EXPECT_EQ(out, "");
}

TEST(UriDecodeTest, PlusStaysPlus) {
  std::string out;
  ASSERT_TRUE(UriDecode("a+b%2Bc", &out));
  EXPECT_EQ(out, "a+b+c");
}

TEST(UriDecodeTest, MalformedEscapesFailAndLeaveOutputAlone) {
  for (const char* bad : {"%", "%4", "abc%", "abc%2", "%G1", "%4G", "%%41", "a% b", "%-1"}) {
    std::string out = "untouched";
    EXPECT_FALSE(UriDecode(bad, &out)) << bad;
    EXPECT_EQ(out, "untouched") << bad;
  }
}

TEST(CanonicalQueryTest, EmptyParams) { EXPECT_EQ(CanonicalQuery({}), ""); }

TEST(CanonicalQueryTest, SortsByNameThenValue) {
  EXPECT_EQ(CanonicalQuery({{"prefix", "J"}, {"max-keys", "2"}}), "max-keys=2&prefix=J");
  EXPECT_EQ(CanonicalQuery({{"Param1", "value2"}, {"Param1", "Value1"}}),
            "Param1=Value1&Param1=value2");
  // Byte order: upper case sorts before lower case.
  EXPECT_EQ(CanonicalQuery({{"param1", "a"}, {"Param2", "b"}}), "Param2=b&param1=a");
}

TEST(CanonicalQueryTest, EmptyValueKeepsEqualsSign) {
  EXPECT_EQ(CanonicalQuery({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(CanonicalQuery({{"versionId", "v1"}, {"acl", ""}}), "acl=&versionId=v1");
}

TEST(CanonicalQueryTest, EncodesNamesAndValuesIncludingSlash) {
  EXPECT_EQ(CanonicalQuery({{"prefix", "dir one/a+b"}, {"delimiter", "/"}}),
            "delimiter=%2F&prefix=dir%20one%2Fa%2Bb");
  EXPECT_EQ(CanonicalQuery({{"k", "a=b&c"}}), "k=a%3Db%26c");
  EXPECT_EQ(CanonicalQuery({{"\xE1\x88\xB4", "bar"}}), "%E1%88%B4=bar");
}

TEST(CanonicalQueryTest, SortsByEncodedNotRawName) {
  // Raw, 'z' (0x7A) sorts before 0xC3; encoded, '%' (0x25) sorts before 'z'.
  EXPECT_EQ(CanonicalQuery({{"z", "1"}, {"\xC3\xA9", "2"}}), "%C3%A9=2&z=1");
}

}  // namespace
}  // namespace gwsync::s3
