// --max-delete as rclone and rsync users read it: 0 deletes nothing, a count
// or a percentage means what it says at its boundary, and nothing a user can
// type (0%, nan, inf, a negative number, garbage) turns the limit off.
#include "sync/delete_limit.h"

#include <gtest/gtest.h>

#include <limits>

namespace gwsync::sync {
namespace {

DeleteLimit Parse(const std::string& text) {
  auto limit = ParseDeleteLimit(text);
  EXPECT_TRUE(limit.ok()) << text << ": " << limit.status().ToString();
  return limit.ok() ? *limit : DeleteLimit{};
}

TEST(DeleteLimitTest, ACountAllowsThatManyAndZeroNone) {
  DeleteLimit zero = Parse("0");
  EXPECT_TRUE(zero.Allows(0, 1000));
  EXPECT_FALSE(zero.Allows(1, 1000));
  EXPECT_FALSE(zero.Allows(600, 1000));  // was "no limit": 600 of 1,000 deleted
  DeleteLimit five = Parse("5");
  EXPECT_TRUE(five.Allows(5, 10));
  EXPECT_FALSE(five.Allows(6, 10));
  // A count replaces the default percentage: 150 of 200 is what was asked.
  EXPECT_TRUE(Parse("150").Allows(150, 200));
  EXPECT_EQ(Parse("18446744073709551615").objects, UINT64_MAX);
  EXPECT_EQ(five.ToString(), "5");
}

TEST(DeleteLimitTest, APercentageAppliesAboveTheSmallDeleteFloor) {
  DeleteLimit half = DeleteLimit{};  // the default, 50%
  EXPECT_EQ(half.ToString(), "50%");
  EXPECT_TRUE(half.Allows(9, 10));      // 90%, but only 9
  EXPECT_TRUE(half.Allows(100, 101));   // at the floor
  EXPECT_FALSE(half.Allows(101, 101));  // above it
  EXPECT_TRUE(half.Allows(125, 250));   // exactly half
  EXPECT_FALSE(half.Allows(126, 250));
  DeleteLimit eighth = Parse("12.5%");
  EXPECT_EQ(eighth.ToString(), "12.5%");
  EXPECT_TRUE(eighth.Allows(125, 1000));
  EXPECT_FALSE(eighth.Allows(126, 1000));
  EXPECT_FALSE(eighth.objects.has_value());
  EXPECT_TRUE(Parse("100%").Allows(1000, 1000));
}

TEST(DeleteLimitTest, ValuesThatWouldTurnTheLimitOffAreRefused) {
  for (const char* bad :
       {"",     "%",   "0%",   "0.0%", "101%", "-1",   "-5%", "nan",
        "nan%", "inf", "inf%", "-inf", "1e3",  "1e2%", "5.5", " 5",
        "5 ",   "+5",  "0x10", ".5%",  "5.%",  "lots", "5%%", "18446744073709551616"}) {
    auto limit = ParseDeleteLimit(bad);
    EXPECT_EQ(limit.status().code(), StatusCode::kInvalidArgument) << "'" << bad << "'";
    EXPECT_NE(limit.status().message().find("--max-delete"), std::string::npos) << bad;
  }
  // Through the API too: a percentage that is no number is refused, not ignored.
  DeleteLimit nan;
  nan.percent = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(nan.Check().code(), StatusCode::kInvalidArgument);
  nan.percent = -1;
  EXPECT_EQ(nan.Check().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(DeleteLimit{}.Check().ok());
}

}  // namespace
}  // namespace gwsync::sync
