// The sync's progress line: what it says while listing and once the totals
// are known, and that at any width it drops whole fields, never cuts one.
#include "cli/progress.h"

#include <gtest/gtest.h>

#include <set>

namespace gwsync::cli {
namespace {

SyncProgress Listing() {
  SyncProgress p;
  p.listed_source = 123456;
  p.done_objects = 1234;
  p.planned_objects = 5000;
  p.done_bytes = 3ull << 30;
  p.planned_bytes = 12ull << 30;
  p.errors = 2;
  p.seconds = 30;
  return p;
}

SyncProgress Listed() {
  SyncProgress p = Listing();
  p.listing_done = true;
  return p;
}

const std::vector<std::string> kGateways = {":7480 812 req c16", ":7481 down",
                                            ":7482 790 req c12 3 throttled"};

// The fields of a line, split at its separators.
std::set<std::string> Fields(const std::string& line) {
  std::set<std::string> out;
  size_t at = 0;
  while (at <= line.size()) {
    size_t comma = line.find(", ", at), bar = line.find(" | ", at);
    size_t end = std::min(comma, bar);
    out.insert(line.substr(at, end == std::string::npos ? std::string::npos : end - at));
    if (end == std::string::npos) break;
    at = end + 3 - (end == comma ? 1 : 0);
  }
  return out;
}

TEST(ProgressTest, WhileListingItSaysWhatIsKnownSoFar) {
  EXPECT_EQ(FormatProgress(Listing(), {}, 200),
            "listing 123456 keys | 1234 objects done, 3.0 GiB, 102.4 MiB/s, 2 errors");
}

TEST(ProgressTest, OnceListedItShowsTotalsRateAndEta) {
  // 9 GiB left at 102.4 MiB/s: 90 s.
  EXPECT_EQ(FormatProgress(Listed(), {}, 200),
            "1234/5000 objects, 3.0 GiB/12.0 GiB, 102.4 MiB/s, ETA 1m30s, 2 errors");
  SyncProgress hours = Listed();
  hours.planned_bytes = 2000ull << 30;
  EXPECT_NE(FormatProgress(hours, {}, 200).find("ETA 5h32m"), std::string::npos);
  SyncProgress idle = Listed();
  idle.done_bytes = 0;
  idle.errors = 0;
  EXPECT_EQ(FormatProgress(idle, {}, 200), "1234/5000 objects, 0 B/12.0 GiB, 0 B/s");  // no ETA yet
}

TEST(ProgressTest, GatewaysComeLastAfterABar) {
  EXPECT_EQ(FormatProgress(Listed(), kGateways, 200),
            "1234/5000 objects, 3.0 GiB/12.0 GiB, 102.4 MiB/s, ETA 1m30s, 2 errors | :7480 812 "
            "req c16, :7481 down, :7482 790 req c12 3 throttled");
}

TEST(ProgressTest, ANarrowTerminalLosesWholeFieldsLeastImportantFirst) {
  for (const SyncProgress& p : {Listing(), Listed()}) {
    const std::set<std::string> all = Fields(FormatProgress(p, kGateways, 1000));
    size_t before = all.size() + 1;
    for (size_t width : {200, 80, 40, 20}) {
      std::string line = FormatProgress(p, kGateways, width);
      EXPECT_LE(line.size(), width) << line;
      ASSERT_FALSE(line.empty()) << width;
      std::set<std::string> fields = Fields(line);
      for (const std::string& f : fields) EXPECT_EQ(all.count(f), 1u) << "cut: '" << f << "'";
      EXPECT_LE(fields.size(), before) << line;
      before = fields.size();
    }
  }
  EXPECT_EQ(FormatProgress(Listed(), kGateways, 80),
            "1234/5000 objects, 3.0 GiB/12.0 GiB, 102.4 MiB/s, ETA 1m30s, 2 errors");
  EXPECT_EQ(FormatProgress(Listed(), kGateways, 40), "1234/5000 objects, ETA 1m30s, 2 errors");
  EXPECT_EQ(FormatProgress(Listed(), kGateways, 20), "1234/5000 objects");
  EXPECT_EQ(FormatProgress(Listing(), kGateways, 40), "listing 123456 keys | 1234 objects done");
  EXPECT_EQ(FormatProgress(Listing(), kGateways, 20), "listing 123456 keys");
  // Not even the first field fits: nothing rather than part of it.
  EXPECT_EQ(FormatProgress(Listing(), kGateways, 10), "");
}

TEST(ProgressTest, OneIsNotPlural) {
  SyncProgress p;
  p.listed_source = 1;
  p.done_objects = 1;
  p.errors = 1;
  EXPECT_EQ(FormatProgress(p, {}, 200), "listing 1 key | 1 object done, 0 B, 0 B/s, 1 error");
}

}  // namespace
}  // namespace gwsync::cli
