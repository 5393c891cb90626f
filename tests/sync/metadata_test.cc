// Attributes written by gwsync, rclone and s3cmd all restore.
#include "sync/metadata.h"

#include <gtest/gtest.h>

#include <limits>

namespace gwsync::sync {
namespace {

TEST(MetadataTest, RoundTripsOwnAttributes) {
  auto m = EncodeAttrs(1700000000123456789, 0100640, 1000, 100);
  EXPECT_EQ(m["mtime"], "1700000000.123456789");  // rclone's format
  EXPECT_EQ(m["mode"], "640");
  FileAttrs a = DecodeAttrs(m);
  EXPECT_EQ(a.mtime_ns, 1700000000123456789);
  EXPECT_EQ(a.mode, 0640u);
  EXPECT_EQ(a.uid, 1000u);
  EXPECT_EQ(a.gid, 100u);
}

// s3cmd reads only its own header: whole seconds and the file's st_mode.
TEST(MetadataTest, WritesS3cmdAttrs) {
  auto m = EncodeAttrs(1700000000123456789, 0100640, 1000, 100);
  EXPECT_EQ(m["s3cmd-attrs"], "atime:1700000000/gid:100/mode:33184/mtime:1700000000/uid:1000");
  FileAttrs a = DecodeAttrs({{"s3cmd-attrs", m["s3cmd-attrs"]}});
  EXPECT_EQ(a.mtime_ns, 1700000000000000000);
  EXPECT_EQ(a.mode, 0640u);
}

TEST(MetadataTest, ReadsRcloneAndS3cmd) {
  FileAttrs rclone = DecodeAttrs({{"mtime", "1600000000.5"}});
  EXPECT_EQ(rclone.mtime_ns, 1600000000500000000);
  FileAttrs s3cmd =
      DecodeAttrs({{"s3cmd-attrs",
                    "atime:1600000001/ctime:1600000002/gid:0/gname:root/md5:abc/mode:33188/"
                    "mtime:1600000003/uid:0/uname:root"}});
  EXPECT_EQ(s3cmd.mtime_ns, 1600000003000000000);
  EXPECT_EQ(s3cmd.mode, 0644u);
  EXPECT_EQ(s3cmd.uid, 0u);
  EXPECT_FALSE(DecodeAttrs({{"mtime", "garbage"}}).mtime_ns.has_value());
}

// Found by tests/fuzz/metadata_fuzz: a file from before 1970 came back
// without its mtime, and a far-future mtime overflowed int64.
TEST(MetadataTest, RoundTripsMtimesBefore1970) {
  auto m = EncodeAttrs(-1500000000, 0644, 0, 0);
  EXPECT_EQ(m["mtime"], "-1.500000000");  // what rclone writes for -1.5 s
  EXPECT_EQ(DecodeAttrs(m).mtime_ns, -1500000000);
  EXPECT_EQ(DecodeAttrs({{"mtime", "-0.25"}}).mtime_ns, -250000000);
  int64_t earliest = -2208988800LL * 1000000000;  // 1900: the earliest taken as a real time
  EXPECT_EQ(DecodeAttrs(EncodeAttrs(earliest, 0, 0, 0)).mtime_ns, earliest);
  EXPECT_FALSE(
      DecodeAttrs(EncodeAttrs(std::numeric_limits<int64_t>::min(), 0, 0, 0)).mtime_ns.has_value());
  // Found by the fuzzer after the 1900 floor: 2 ns before it is out of range for
  // gwsync's own header; s3cmd's whole-second copy then gives 1900 itself.
  EXPECT_FALSE(DecodeAttrs({{"mtime", "-2208988800.000000002"}}).mtime_ns.has_value());
  EXPECT_EQ(DecodeAttrs(EncodeAttrs(earliest - 2, 0, 0, 0)).mtime_ns, earliest);
}

TEST(MetadataTest, IgnoresMtimesPastInt64) {
  EXPECT_FALSE(DecodeAttrs({{"mtime", "99999999999999999.0"}}).mtime_ns.has_value());
  EXPECT_FALSE(DecodeAttrs({{"mtime", "9223372036.854775808"}}).mtime_ns.has_value());
  // The largest int64 nanoseconds is past 2200: a garbage time, dropped.
  EXPECT_FALSE(DecodeAttrs({{"mtime", "9223372036.854775807"}}).mtime_ns.has_value());
  EXPECT_FALSE(ParseHttpDate("Fri, 31 Dec 9999 23:59:59 GMT").has_value());
}

TEST(MetadataTest, ParsesHttpDates) {
  EXPECT_EQ(ParseHttpDate("Sun, 30 Aug 2015 12:36:00 GMT"), 1440938160LL * 1000000000);
  EXPECT_FALSE(ParseHttpDate("yesterday").has_value());
}

// A bucket is not trusted: values out of range are left out, never
// overflowed into some other time, mode or owner.
TEST(MetadataTest, RejectsValuesOutOfRange) {
  EXPECT_FALSE(DecodeAttrs({{"mtime", "17000000000"}}).mtime_ns.has_value());  // year 2508
  EXPECT_FALSE(DecodeAttrs({{"mtime", "99999999999999999999"}}).mtime_ns.has_value());
  EXPECT_FALSE(DecodeAttrs({{"mtime", "-9000000000"}}).mtime_ns.has_value());
  EXPECT_EQ(DecodeAttrs({{"mtime", "-1.5"}}).mtime_ns, -1500000000);
  EXPECT_FALSE(ParseHttpDate("Fri, 21 Nov 3026 19:43:59 GMT").has_value());
  EXPECT_FALSE(DecodeAttrs({{"s3cmd-attrs", "mtime:17000000000"}}).mtime_ns.has_value());

  FileAttrs ids = DecodeAttrs({{"uid", "-1"}, {"gid", "99999999999"}});
  EXPECT_FALSE(ids.uid.has_value());
  EXPECT_FALSE(ids.gid.has_value());
  EXPECT_FALSE(DecodeAttrs({{"uid", "4294967295"}}).uid.has_value());  // chown's "unchanged"
  EXPECT_EQ(DecodeAttrs({{"uid", "4294967294"}}).uid, 4294967294u);

  EXPECT_FALSE(DecodeAttrs({{"mode", "177777"}}).mode.has_value());
  EXPECT_FALSE(DecodeAttrs({{"mode", "-644"}}).mode.has_value());
  EXPECT_EQ(DecodeAttrs({{"mode", "6777"}}).mode, 06777u);  // decoded; stripped on restore
  // s3cmd's whole st_mode: a regular file's type is fine, a device's is not.
  EXPECT_EQ(DecodeAttrs({{"s3cmd-attrs", "mode:33188"}}).mode, 0644u);
  EXPECT_FALSE(DecodeAttrs({{"s3cmd-attrs", "mode:8630"}}).mode.has_value());
}

// What an object keeps besides its bytes travels with the file: its
// headers, the user's metadata and tags, not the part layout an upload
// records anew nor the gateways' default type.
TEST(KeptHeadersTest, KeptFromTheObjectAndSentAgainForTheSameFile) {
  s3::ObjectHead head;
  head.content_type = "text/html";
  head.content.cache_control = "max-age=5";
  head.content.expires = "Wed, 21 Oct 2037 07:28:00 GMT";
  head.metadata = {{"owner", "web"}, {"gwsync-part-size", "8388608"}, {"mtime", "12.5"}};
  KeptHeaders kept = KeepFrom(head, {{"team", "web"}, {"stage", "prod eu"}});
  EXPECT_EQ(kept.metadata,
            (std::map<std::string, std::string>{{"owner", "web"}, {"mtime", "12.5"}}));

  std::string attr = EncodeKeptAttr(kept, 15, 12500000000);
  auto back = DecodeKeptAttr(attr, 15, 12500000000);
  ASSERT_TRUE(back.has_value()) << attr;
  EXPECT_EQ(back->content_type, "text/html");
  EXPECT_EQ(back->content, head.content);
  EXPECT_EQ(back->metadata, kept.metadata);
  // A file changed since it was written sends its own attributes instead.
  EXPECT_FALSE(DecodeKeptAttr(attr, 16, 12500000000).has_value());
  EXPECT_FALSE(DecodeKeptAttr(attr, 15, 12500000001).has_value());
  EXPECT_FALSE(DecodeKeptAttr("not json", 15, 12500000000).has_value());
  EXPECT_FALSE(DecodeKeptAttr(R"({"headers":{"content-type":7},"size":15,"mtime_ns":1})", 15, 1)
                   .has_value());

  // The digests of the bytes written, for the file as it was written only.
  std::string digested = EncodeKeptAttr(kept, 15, 12500000000, "etag", "xxh3");
  EXPECT_EQ(KeptAttrDigests(digested, 15, 12500000000).etag, "etag");
  EXPECT_EQ(KeptAttrDigests(digested, 15, 12500000000).xxh3, "xxh3");
  EXPECT_EQ(KeptAttrDigests(digested, 15, 12500000001).xxh3, "");
  EXPECT_EQ(KeptAttrDigests(attr, 15, 12500000000).xxh3, "");

  std::string type = "application/octet-stream", tagging;
  s3::ContentHeaders content;
  std::map<std::string, std::string> metadata = {{"mode", "644"}};
  ApplyKept(*back, &type, &content, &metadata, &tagging);
  EXPECT_EQ(type, "text/html");
  EXPECT_EQ(content, head.content);
  EXPECT_EQ(metadata, kept.metadata);  // the object's, not the upload's own
  EXPECT_EQ(tagging, "stage=prod%20eu&team=web");

  // The gateways' default type is none; an object with nothing to keep
  // still says so (a restore then adds no metadata of its own).
  s3::ObjectHead plain;
  plain.content_type = "binary/octet-stream";
  EXPECT_TRUE(KeepFrom(plain, {}).empty());
  EXPECT_EQ(EncodeKept(KeepFrom(plain, {})), "{}");
  auto none = DecodeKeptAttr(EncodeKeptAttr(KeepFrom(plain, {}), 0, 0), 0, 0);
  ASSERT_TRUE(none.has_value());
  metadata = {{"mode", "644"}};
  ApplyKept(*none, &type, &content, &metadata, &tagging);
  EXPECT_TRUE(metadata.empty());
  EXPECT_TRUE(tagging.empty());
}

}  // namespace
}  // namespace gwsync::sync
