// The resume record of a partial download: what it encodes survives a round
// trip, and a damaged or inconsistent record is never trusted.
#include "transfer/resume.h"

#include <gtest/gtest.h>

namespace gwsync::transfer {
namespace {

TEST(ResumeRecordTest, RoundTrips) {
  ResumeRecord r{"c39de7eccafcb26c5812576d7885c5f5-7", 100 << 20, 16 << 20, {}};
  r.written = {16 << 20, 5 << 20, 0, 0, 1, 2, 4 << 20};
  auto back = DecodeResume(EncodeResume(r));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->etag, r.etag);
  EXPECT_EQ(back->size, r.size);
  EXPECT_EQ(back->part_size, r.part_size);
  EXPECT_EQ(back->written, r.written);
}

TEST(ResumeRecordTest, DamagedRecordsAreRefused) {
  ResumeRecord r{"etag", 10, 4, {4, 4, 2}};
  std::string good = EncodeResume(r);
  ASSERT_TRUE(DecodeResume(good).has_value());
  EXPECT_FALSE(DecodeResume("").has_value());
  EXPECT_FALSE(DecodeResume("gwsync-resume-9 etag 10 4 4,4,2").has_value());  // other format
  EXPECT_FALSE(DecodeResume("gwsync-resume-1 etag 10 4 4,4").has_value());    // parts missing
  EXPECT_FALSE(DecodeResume("gwsync-resume-1 etag 10 4 4,4,3").has_value());  // past the end
  EXPECT_FALSE(DecodeResume("gwsync-resume-1 etag 10 0 4,4,2").has_value());  // no part size
  EXPECT_FALSE(DecodeResume("gwsync-resume-1 etag 10 4 4,x,2").has_value());
}

// A record of an older binary (one number per part) is still adopted.
TEST(ResumeRecordTest, AnOlderRecordIsRead) {
  auto r = DecodeResume("gwsync-resume-1 etag 10 4 4,1,2");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->written, (std::vector<uint64_t>{4, 1, 2}));
}

TEST(ResumeRecordTest, RunsThatDoNotAddUpAreRefused) {
  ASSERT_TRUE(DecodeResume("gwsync-resume-2 etag 10 4 f*2,1").has_value());
  EXPECT_FALSE(DecodeResume("gwsync-resume-2 etag 10 4 f*4").has_value());      // past the end
  EXPECT_FALSE(DecodeResume("gwsync-resume-2 etag 10 4 f*0,f*3").has_value());  // empty run
  EXPECT_FALSE(DecodeResume("gwsync-resume-2 etag 10 4 f*2").has_value());      // parts missing
  EXPECT_FALSE(DecodeResume("gwsync-resume-2 etag 10 4 5*3").has_value());      // past a part
  EXPECT_FALSE(DecodeResume("gwsync-resume-2 etag 10 4 f*,1").has_value());
  EXPECT_FALSE(DecodeResume("gwsync-resume-2 etag 10 4 f*99999999999999999999999").has_value());
  EXPECT_FALSE(DecodeResume("gwsync-resume-2 etag 10 4 -1*3").has_value());
  // A size in parts no object of S3's has: refused before anything is held.
  EXPECT_FALSE(DecodeResume("gwsync-resume-2 etag 18446744073709551615 1 0*1").has_value());
}

// A 100 GiB object in 1 MiB ranges, killed with 4,000 ranges whole, eight
// in flight and the rest not begun: the record is a few dozen bytes and
// comes back exact (the format before held 256 parts at most).
TEST(ResumeRecordTest, AnObjectOfAHundredThousandRangesRoundTripsSmall) {
  ResumeRecord r{"0123456789abcdef0123456789abcdef-6400", uint64_t{100} << 30, 1 << 20, {}};
  r.written.assign(102400, 0);
  for (size_t i = 0; i < 4000; ++i) r.written[i] = 1 << 20;
  for (size_t i = 4000; i < 4008; ++i) r.written[i] = 1000 * (i - 3999);
  std::string encoded = EncodeResume(r);
  EXPECT_LT(encoded.size(), 200u) << encoded;
  auto back = DecodeResume(encoded);
  ASSERT_TRUE(back.has_value()) << encoded;
  EXPECT_EQ(back->written, r.written);
}

// The last part is shorter than the others: "whole" means its own length.
TEST(ResumeRecordTest, AShortLastPartIsWhole) {
  ResumeRecord r{"e", 10, 4, {4, 4, 2}};
  EXPECT_EQ(EncodeResume(r), "gwsync-resume-2 e 10 4 f*3");
  EXPECT_EQ(DecodeResume(EncodeResume(r))->written, r.written);
}

// Parts that all differ cannot be written in runs: the record stays within
// its room by saying less is on disk (the leading parts exactly, the rest
// not begun), never more.
TEST(ResumeRecordTest, ARecordTooLongForItsRoomSaysLessNeverMore) {
  ResumeRecord r{"etag", uint64_t{5000} << 20, 1 << 20, {}};
  for (size_t i = 0; i < 5000; ++i) r.written.push_back(i % 2 ? 1 << 20 : 1000 + i);
  std::string encoded = EncodeResume(r);
  EXPECT_LE(encoded.size(), kMaxResumeRecordBytes);
  auto back = DecodeResume(encoded);
  ASSERT_TRUE(back.has_value()) << encoded;
  ASSERT_EQ(back->written.size(), r.written.size());
  size_t exact = 0;
  while (exact < r.written.size() && back->written[exact] == r.written[exact]) ++exact;
  EXPECT_GT(exact, 100u) << "the leading parts are kept";
  for (size_t i = exact; i < r.written.size(); ++i) {
    ASSERT_EQ(back->written[i], 0u) << "part " << i;
  }
}

}  // namespace
}  // namespace gwsync::transfer
