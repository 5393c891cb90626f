// --all-versions in pieces, offline: the version store's names, version
// records in a run manifest, ListObjectVersions pages (RGW's shape and
// moto's), the replay order a restore checks, and the version listing's
// checks against a gateway that misbehaves (FakeS3 serving scripted pages).
#include "session/versions.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "plan/plan.h"
#include "s3/xml.h"
#include "session/version_listing.h"
#include "support/fake_s3.h"

namespace gwsync::session {
namespace {

using testing::FakeS3;
using testing::S3Call;

TEST(VersionStore, NamesRoundTripAndStayInTheStore) {
  const std::string long_key(150, 'k');
  for (const auto& [key, id] :
       std::vector<std::pair<std::string, std::string>>{{"a", "v1"},
                                                        {"dir/file.txt", "null"},
                                                        {"", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"},
                                                        {"x//y", "id"},
                                                        {long_key, std::string(120, 'i')},
                                                        {std::string("\0\xff", 2), "v"}}) {
    std::string path = plan::VersionStorePath(key, id);
    ASSERT_TRUE(path.starts_with(std::string(plan::kVersionStoreDir) + "/")) << path;
    EXPECT_TRUE(plan::IsSafeRelativeKey(path)) << path;
    auto back = plan::VersionFromStorePath(path.substr(plan::kVersionStoreDir.size() + 1));
    ASSERT_TRUE(back.has_value()) << path;
    EXPECT_EQ(back->first, key);
    EXPECT_EQ(back->second, id);
  }
  EXPECT_EQ(plan::VersionStorePath("a", "v1"), ".gwsync/versions/61.k/7631.v");
  // Two versions of one key share its folder; another key has its own.
  EXPECT_NE(plan::VersionStorePath("a", "v1"), plan::VersionStorePath("a", "v2"));
  EXPECT_FALSE(plan::VersionFromStorePath("61.k/zz.v").has_value());
  EXPECT_FALSE(plan::VersionFromStorePath("61.k").has_value());
  EXPECT_FALSE(plan::VersionFromStorePath("61/7631.v").has_value());
}

manifest::Record Version(std::string key, uint32_t n, bool latest = false, bool marker = false) {
  manifest::Record r;
  r.key = std::move(key);
  r.version = n;
  r.version_id = "id" + std::to_string(n);
  r.latest = latest;
  r.delete_marker = marker;
  r.size = marker ? 0 : n * 10;
  r.last_modified = "2026-11-28T10:00:0" + std::to_string(n) + ".000Z";
  if (!marker) r.path = plan::VersionStorePath(r.key, r.version_id);
  return r;
}

class VersionManifest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gwsync-versions-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "m.jsonl.zst").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(VersionManifest, RecordsEveryVersionOfAKeyInOrder) {
  manifest::Header h;
  h.all_versions = true;
  {
    auto w = manifest::Writer::Create(path_, h);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Add(Version("a", 1)).ok());
    ASSERT_TRUE((*w)->Add(Version("a", 2, false, true)).ok());
    ASSERT_TRUE((*w)->Add(Version("a", 3, true)).ok());
    ASSERT_TRUE((*w)->Add(Version("b", 1, true, true)).ok());
    EXPECT_FALSE((*w)->Add(Version("b", 1)).ok()) << "a version twice";
    ASSERT_TRUE((*w)->Finish().ok());
  }
  auto r = manifest::Reader::Open(path_);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)->header().all_versions);
  std::vector<manifest::Record> got;
  manifest::Record rec;
  while (*(*r)->Next(&rec)) got.push_back(rec);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[1].version, 2u);
  EXPECT_TRUE(got[1].delete_marker);
  EXPECT_EQ(got[0].version_id, "id1");
  EXPECT_EQ(got[0].path, plan::VersionStorePath("a", "id1"));
  EXPECT_EQ(got[2].last_modified, "2026-11-28T10:00:03.000Z");
  // What a plain verify and restore see: the current objects only.
  EXPECT_FALSE(got[0].current());
  EXPECT_TRUE(got[2].current());
  EXPECT_FALSE(got[3].current()) << "a current delete marker is no object";
}

TEST_F(VersionManifest, RefusesVersionsOutOfOrder) {
  auto w = manifest::Writer::Create(path_, manifest::Header());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Add(Version("a", 2)).ok());
  EXPECT_FALSE((*w)->Add(Version("a", 1)).ok());
  manifest::Record plain;
  plain.key = "a";
  EXPECT_FALSE((*w)->Add(plain).ok()) << "a plain record repeats no key";
  EXPECT_TRUE((*w)->Add(Version("c", 1)).ok());
}

TEST(ReplayOrder, TakesOneKeysHistoryOldestFirstWithTheLatestLast) {
  EXPECT_TRUE(
      CheckReplayOrder({Version("a", 1), Version("a", 2, false, true), Version("a", 4, true)})
          .ok());
  EXPECT_TRUE(CheckReplayOrder({Version("a", 1, true, true)}).ok());
  EXPECT_FALSE(CheckReplayOrder({Version("a", 2), Version("a", 1)}).ok());
  EXPECT_FALSE(CheckReplayOrder({Version("a", 1, true), Version("a", 2)}).ok());
  EXPECT_FALSE(CheckReplayOrder({Version("a", 1), Version("b", 2)}).ok());
  manifest::Record plain;
  plain.key = "a";
  EXPECT_FALSE(CheckReplayOrder({plain}).ok());
}

std::string Entry(const std::string& kind, const std::string& key, const std::string& id,
                  bool latest, const std::string& time = "2026-11-28T10:00:00.000Z") {
  std::string body = "<" + kind + "><Key>" + key + "</Key><VersionId>" + id +
                     "</VersionId><IsLatest>" + (latest ? "true" : "false") +
                     "</IsLatest><LastModified>" + time + "</LastModified>";
  if (kind == "Version") body += "<ETag>\"0123456789abcdef0123456789abcdef\"</ETag><Size>3</Size>";
  return body + "</" + kind + ">";
}

std::string Page(const std::string& entries, bool truncated = false,
                 const std::string& next_key = "", const std::string& next_id = "") {
  std::string body = "<ListVersionsResult><IsTruncated>" +
                     std::string(truncated ? "true" : "false") + "</IsTruncated>";
  if (!next_key.empty()) {
    body += "<NextKeyMarker>" + next_key + "</NextKeyMarker><NextVersionIdMarker>" + next_id +
            "</NextVersionIdMarker>";
  }
  return body + entries + "</ListVersionsResult>";
}

TEST(VersionsXml, ReadsVersionsAndMarkersInOrder) {
  auto page = s3::xml::ParseListObjectVersions(Page(Entry("DeleteMarker", "a", "m1", true) +
                                                        Entry("Version", "a", "v1", false) +
                                                        Entry("Version", "b%20c", "", true),
                                                    true, "b%20c", "null"));
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_EQ(page->versions.size(), 3u);
  EXPECT_TRUE(page->versions[0].delete_marker);
  EXPECT_EQ(page->versions[1].etag, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(page->versions[1].size, 3u);
  EXPECT_EQ(page->versions[2].version_id, "null");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_version_id_marker, "null");
  // A truncated page with no marker continues after its last entry.
  auto bare = s3::xml::ParseListObjectVersions(Page(Entry("Version", "k", "v9", true), true));
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->next_key_marker, "k");
  EXPECT_EQ(bare->next_version_id_marker, "v9");
  EXPECT_FALSE(s3::xml::ParseListObjectVersions(Page("", true)).ok());
}

TEST(VersionsXml, MergesMotosVersionsThenMarkersBack) {
  // moto: every <Version> of the page, then every <DeleteMarker>.
  auto page = s3::xml::ParseListObjectVersions(
      Page(Entry("Version", "a", "v2", false, "2026-11-28T10:00:02.000Z") +
           Entry("Version", "a", "v1", false, "2026-11-28T10:00:01.000Z") +
           Entry("Version", "b", "v3", true) +
           Entry("DeleteMarker", "a", "m2", true, "2026-11-28T10:00:03.000Z") +
           Entry("DeleteMarker", "a", "m1", false, "2026-11-28T10:00:01.500Z")));
  ASSERT_TRUE(page.ok());
  std::vector<std::string> ids;
  for (const auto& v : page->versions) ids.push_back(v.version_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"m2", "v2", "m1", "v1", "v3"}));
}

class VersionListerTest : public ::testing::Test {
 protected:
  VersionListerTest() : client_(&gateway_, FakeS3::ClientOptions()) {}
  ~VersionListerTest() override { gateway_.Stop(); }

  // Serves `pages` in turn to the bucket's ?versions requests, and records
  // the markers each request carried.
  void Serve(std::vector<std::string> pages) {
    auto next = std::make_shared<size_t>(0);
    gateway_.Script(
        [](const S3Call& c) { return c.Has("versions"); },
        [this, pages, next](const S3Call& c) {
          markers_.push_back(c.Query("key-marker") + "/" + c.Query("version-id-marker"));
          return pages[std::min((*next)++, pages.size() - 1)];
        });
  }

  // Every key's version IDs, or the error that ended the listing.
  StatusOr<std::vector<std::string>> List(const std::string& prefix = "") {
    VersionLister lister(client_, "b", prefix);
    std::vector<std::string> out;
    KeyVersions k;
    for (;;) {
      ASSIGN_OR_RETURN(bool more, lister.Next(&k));
      if (!more) return out;
      std::string line = k.key + ":";
      for (const auto& v : k.versions) line += " " + v.version_id;
      out.push_back(line);
    }
  }

  FakeS3 gateway_;
  s3::Client client_;
  std::vector<std::string> markers_;
};

TEST_F(VersionListerTest, GivesOneKeyAtATimeAcrossPages) {
  Serve({Page(Entry("Version", "p/a", "a2", true) + Entry("Version", "p/a", "a1", false), true,
              "p/a", "a1"),
         Page(Entry("Version", "p/a", "a0", false) + Entry("DeleteMarker", "p/b", "b1", true))});
  auto keys = List("p/");
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  EXPECT_EQ(*keys, (std::vector<std::string>{"a: a2 a1 a0", "b: b1"}));
  EXPECT_EQ(markers_, (std::vector<std::string>{"/", "p/a/a1"}));
}

TEST_F(VersionListerTest, CountsTheHistory) {
  Serve({Page(Entry("DeleteMarker", "a", "m", true) + Entry("Version", "a", "a1", false) +
              Entry("Version", "b", "b1", true) + Entry("Version", "c", "c2", true) +
              Entry("Version", "c", "c1", false))});
  auto count = CountHistory(client_, "b", "");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->noncurrent, 2u);
  EXPECT_EQ(count->delete_markers, 1u);
}

// A page is checked whole before any of its keys is handed on, as every
// listing's page is: a backup or a verify never takes a key from a page
// the gateway got wrong.
TEST_F(VersionListerTest, ABrokenPageGivesNoKey) {
  Serve({Page(Entry("Version", "p/a", "1", true) + Entry("Version", "p/c", "2", true) +
              Entry("Version", "p/b", "3", true))});
  VersionLister lister(client_, "b", "p/");
  KeyVersions k;
  auto more = lister.Next(&k);
  ASSERT_FALSE(more.ok()) << "handed out '" << k.key << "' of a page out of order";
  EXPECT_NE(more.status().message().find("out of order"), std::string::npos)
      << more.status().message();
}

TEST_F(VersionListerTest, StopsAGatewayThatMisbehaves) {
  struct Case {
    const char* what;
    const char* why;  // in the error
    std::vector<std::string> pages;
  } cases[] = {
      {"keys out of order",
       "out of order",
       {Page(Entry("Version", "b", "1", true) + Entry("Version", "a", "2", true))}},
      {"a key outside the prefix", "outside", {Page(Entry("Version", "q/a", "1", true))}},
      {"the same version twice",
       "twice",
       {Page(Entry("Version", "p/a", "1", true) + Entry("Version", "p/a", "1", false))}},
      {"the latest after an older one",
       "latest",
       {Page(Entry("Version", "p/a", "1", false) + Entry("Version", "p/a", "2", true))}},
      {"a key again after the next",
       "out of order",
       {Page(Entry("Version", "p/a", "1", true) + Entry("Version", "p/b", "2", true), true, "p/b",
             "2"),
        Page(Entry("Version", "p/a", "3", false))}},
      {"markers that go round",
       "continuation",
       {Page("", true, "p/a", "1"), Page("", true, "p/b", "2"), Page("", true, "p/a", "1")}},
  };
  for (const Case& c : cases) {
    FakeS3 gateway;
    gateway.Script([](const S3Call& call) { return call.Has("versions"); },
                   [pages = c.pages, n = std::make_shared<size_t>(0)](const S3Call&) {
                     return pages[std::min((*n)++, pages.size() - 1)];
                   });
    s3::Client client(&gateway, FakeS3::ClientOptions());
    VersionLister lister(client, "b", c.what == std::string("keys out of order") ? "" : "p/");
    KeyVersions k;
    Status error;
    for (int i = 0; i < 100 && error.ok(); ++i) {
      auto more = lister.Next(&k);
      if (!more.ok())
        error = more.status();
      else if (!*more)
        break;
    }
    EXPECT_FALSE(error.ok()) << c.what;
    EXPECT_NE(error.message().find(c.why), std::string::npos) << c.what << ": " << error.message();
    gateway.Stop();
  }
}

}  // namespace
}  // namespace gwsync::session
