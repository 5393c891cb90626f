// --keep-manifests: a folder backup keeps the run manifests of its N newest
// runs and the one manifest-latest names; a share's manifest goes with the
// run that joined it; nothing else in .gwsync/ is touched, links least of
// all. Offline.
#include "session/manifest_retention.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace gwsync::session {
namespace {

std::string Whole(int day) {
  char run[32];
  std::snprintf(run, sizeof run, "202611%02dT020000.000Z", day);
  return "manifest-" + std::string(run) + ".jsonl.zst";
}

std::string Share(int day, int minute, int i, int n) {
  char run[32];
  std::snprintf(run, sizeof run, "202611%02dT01%02d00.000Z", day, minute);
  return "manifest-" + std::string(run) + "-share-" + std::to_string(i) + "-of-" +
         std::to_string(n) + ".jsonl.zst";
}

using Names = std::vector<std::string>;

TEST(ManifestRetentionTest, KeepsTheNNewestRuns) {
  Names five = {Whole(1), Whole(2), Whole(3), Whole(4), Whole(5)};
  EXPECT_EQ(ManifestsToRemove(five, Whole(5), 5), Names{});
  EXPECT_EQ(ManifestsToRemove(five, Whole(5), 6), Names{});
  EXPECT_EQ(ManifestsToRemove(five, Whole(5), 4), Names{Whole(1)});
  EXPECT_EQ(ManifestsToRemove(five, Whole(5), 1), (Names{Whole(1), Whole(2), Whole(3), Whole(4)}));
  EXPECT_EQ(ManifestsToRemove(five, Whole(5), 0), Names{});  // 0: keep all
}

TEST(ManifestRetentionTest, TheLatestIsKeptEvenWhenOlder) {
  Names five = {Whole(5), Whole(4), Whole(3), Whole(2), Whole(1)};
  EXPECT_EQ(ManifestsToRemove(five, Whole(2), 2), (Names{Whole(1), Whole(3)}));
  // With no manifest-latest (or an odd one), the N newest.
  EXPECT_EQ(ManifestsToRemove(five, "", 4), Names{Whole(1)});
  EXPECT_EQ(ManifestsToRemove(five, "../../etc/passwd", 4), Names{Whole(1)});
}

TEST(ManifestRetentionTest, SharesGoWithTheRunThatJoinedThem) {
  // Night 1 and 2: two shares each, joined at 02:00 by report merge; night
  // 3: two shares not merged yet.
  Names files = {Share(1, 10, 0, 2), Share(1, 20, 1, 2), Whole(1),           Share(2, 10, 0, 2),
                 Share(2, 20, 1, 2), Whole(2),           Share(3, 10, 0, 2), Share(3, 20, 1, 2)};
  EXPECT_EQ(ManifestsToRemove(files, Whole(2), 1),
            (Names{Share(1, 10, 0, 2), Share(1, 20, 1, 2), Whole(1)}));
  EXPECT_EQ(ManifestsToRemove(files, Whole(2), 2), Names{});
  // The latest keeps its own shares.
  EXPECT_EQ(ManifestsToRemove({Share(1, 10, 0, 1), Whole(1), Whole(2), Whole(3)}, Whole(1), 1),
            Names{Whole(2)});
  // Shares alone (nothing merged yet) are all kept.
  EXPECT_EQ(ManifestsToRemove({Share(3, 10, 0, 2), Share(3, 20, 1, 2)}, "", 1), Names{});
}

TEST(ManifestRetentionTest, OtherNamesAreLeftAlone) {
  Names files = {Whole(1),
                 Whole(2),
                 "manifest-latest",
                 "manifest-20261101T020000.000Z.jsonl.zst.bak",
                 "manifest-2026-11-01.jsonl.zst",
                 "manifest-20261101T020000.000Z-mine.jsonl.zst",
                 "manifest-20261101T020000.000Z-share-x-of-2.jsonl.zst",
                 ".manifest-20261101T020000.000Z.jsonl.zst.gwsync-Ab12Cd",
                 "bucket",
                 "notes.txt"};
  EXPECT_EQ(ManifestsToRemove(files, Whole(2), 1), Names{Whole(1)});
}

TEST(ManifestRetentionTest, PrunesTheStateFolderButNotThroughLinks) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("gwsync-retention-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::path state = root / ".gwsync";
  fs::create_directories(state);
  fs::create_directories(root / "elsewhere");
  auto touch = [](const fs::path& p, const std::string& body) { std::ofstream(p) << body; };
  for (int day = 1; day <= 4; ++day) touch(state / Whole(day), "x");
  touch(state / "manifest-latest", Whole(4) + "\n");
  touch(state / "notes.txt", "mine");
  // A link named like an old run manifest, to a file outside: neither is removed.
  touch(root / "elsewhere" / "precious", "keep me");
  fs::create_symlink(root / "elsewhere" / "precious", state / Whole(0));

  Location dst;
  dst.path = root.string();
  ManifestOptions options;
  options.keep = 2;
  SyncReport report;
  PruneRunManifests(dst, options, &report);
  EXPECT_EQ(report.manifests_removed, 2u);
  EXPECT_TRUE(report.notices.empty());
  EXPECT_FALSE(fs::exists(state / Whole(1)));
  EXPECT_FALSE(fs::exists(state / Whole(2)));
  EXPECT_TRUE(fs::exists(state / Whole(3)));
  EXPECT_TRUE(fs::exists(state / Whole(4)));
  EXPECT_TRUE(fs::exists(state / "manifest-latest"));
  EXPECT_TRUE(fs::exists(state / "notes.txt"));
  EXPECT_TRUE(fs::is_symlink(state / Whole(0)));
  EXPECT_TRUE(fs::exists(root / "elsewhere" / "precious"));

  // 0 keeps all; a --manifest PATH run leaves the folder alone.
  options.keep = 0;
  PruneRunManifests(dst, options, &report);
  options.keep = 1;
  options.path = (root / "m.jsonl.zst").string();
  PruneRunManifests(dst, options, &report);
  EXPECT_TRUE(fs::exists(state / Whole(3)));
  EXPECT_EQ(report.manifests_removed, 2u);

  // .gwsync itself a link: refused, a notice, nothing removed behind it.
  fs::rename(state, root / "elsewhere" / "state");
  fs::create_directory_symlink(root / "elsewhere" / "state", state);
  options.path.clear();
  PruneRunManifests(dst, options, &report);
  EXPECT_TRUE(fs::exists(root / "elsewhere" / "state" / Whole(3)));
  EXPECT_EQ(report.notices.size(), 1u);
  fs::remove_all(root);
}

}  // namespace
}  // namespace gwsync::session
