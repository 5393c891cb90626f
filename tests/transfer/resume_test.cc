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
  EXPECT_FALSE(DecodeResume("gwsync-resume-2 etag 10 4 4,4,2").has_value());  // other format
  EXPECT_FALSE(DecodeResume("gwsync-resume-1 etag 10 4 4,4").has_value());    // parts missing
  EXPECT_FALSE(DecodeResume("gwsync-resume-1 etag 10 4 4,4,3").has_value());  // past the end
  EXPECT_FALSE(DecodeResume("gwsync-resume-1 etag 10 0 4,4,2").has_value());  // no part size
  EXPECT_FALSE(DecodeResume("gwsync-resume-1 etag 10 4 4,x,2").has_value());
}

}  // namespace
}  // namespace gwsync::transfer
