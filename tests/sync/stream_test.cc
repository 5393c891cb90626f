// The listing streams without a gateway: a bucket listed through a stand-in
// transport (tests/support/fake_listing.h) arrives whole and in key order,
// is not listed far ahead of its reader, and a gateway that repeats its
// continuation token or sends keys out of order or outside the prefix ends
// the listing with a reported problem, never a crash or an endless loop.
#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <string>

#include "sides/bucket_side.h"
#include "support/fake_listing.h"
#include "sync/merge.h"

namespace gwsync::sync {
namespace {

using gwsync::testing::FakeListing;

// Registry-shaped keys, with byte-order traps at the root.
std::vector<std::string> RegistryKeys(int blobs_per_folder) {
  std::vector<std::string> keys = {"a-b", "a/b", "a0", "top"};
  char buf[128];
  for (int folder = 0; folder < 64; ++folder) {
    for (int i = 0; i < blobs_per_folder; ++i) {
      std::snprintf(buf, sizeof buf, "docker/registry/v2/blobs/sha256/%02x/%02x%06d/data", folder,
                    folder, i);
      keys.push_back(buf);
    }
  }
  for (int repo = 0; repo < 20; ++repo) {
    for (int i = 0; i < 30; ++i) {
      std::snprintf(buf, sizeof buf,
                    "docker/registry/v2/repositories/r%02d/_layers/sha256/%04d/link", repo, i);
      keys.push_back(buf);
    }
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

class StreamTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> keys, size_t page_size) {
    keys_ = keys;
    fake_ = std::make_unique<FakeListing>(std::move(keys), page_size);
    s3::ClientOptions o;
    o.endpoint = *s3::ParseEndpoint("http://127.0.0.1:9");
    o.credentials.access_key = "AK";
    o.credentials.secret_key = "SK";
    client_ = std::make_unique<s3::Client>(fake_.get(), o);
  }
  std::unique_ptr<sides::EntryStream> Open(const std::string& prefix,
                                           sides::BucketListOptions o = {}) {
    auto s = sides::OpenBucketStream(*client_, "b", prefix, o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // Reads a stream to its end: the keys, and the problems' messages.
  static std::pair<std::vector<std::string>, std::vector<std::string>> Drain(
      sides::EntryStream* s) {
    std::vector<std::string> keys, problems;
    sides::ListBatch b;
    while (s->Next(&b)) {
      for (auto& e : b.entries) keys.push_back(e.key);
      for (auto& p : b.problems) problems.push_back(p.path + ": " + p.status.message());
    }
    return {keys, problems};
  }

  std::vector<std::string> keys_;
  std::unique_ptr<s3::Client> client_;
  // Destroyed first: its shutdown completes what is pending into the client.
  std::unique_ptr<FakeListing> fake_;
};

TEST_F(StreamTest, EveryKeyArrivesOnceInByteOrder) {
  Start(RegistryKeys(40), 7);
  auto [keys, problems] = Drain(Open("").get());
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(keys, keys_);
}

// A bucket the gateway says holds at most 10,000 objects is listed flat,
// page after page: its delimiter levels and partitions would cost more
// LISTs than its pages. Larger, or of an unknown count, it is partitioned.
TEST_F(StreamTest, ASmallBucketIsListedFlatPageAfterPage) {
  for (std::optional<uint64_t> count :
       {std::optional<uint64_t>(2'000), std::optional<uint64_t>(10'000),
        std::optional<uint64_t>(10'001), std::optional<uint64_t>()}) {
    SCOPED_TRACE(count ? std::to_string(*count) : "no count");
    Start(RegistryKeys(20), 1000);  // 1,884 keys: two pages
    fake_->set_object_count(count);
    auto [keys, problems] = Drain(Open("").get());
    EXPECT_TRUE(problems.empty()) << problems.front();
    EXPECT_EQ(keys, keys_);
    if (count && *count <= 10'000) {
      EXPECT_EQ(fake_->requests(), 3);  // the root level, then two pages
    } else {
      EXPECT_GT(fake_->requests(), 10);  // the levels, and partitions
    }
  }
}

// A share of a small bucket is its part of the pages, from the range's
// start-after to its last key, even from a gateway that ignores
// start-after (its keys before the range are dropped).
TEST_F(StreamTest, AShareOfASmallBucketIsItsPartOfThePages) {
  for (bool ignore_start_after : {false, true}) {
    SCOPED_TRACE(ignore_start_after ? "a gateway that ignores start-after" : "");
    Start(RegistryKeys(20), 100);
    fake_->set_object_count(2'000);
    fake_->set_ignore_start_after(ignore_start_after);
    sides::BucketListOptions o;
    o.range.after = keys_[700];
    o.range.through = keys_[999];
    auto [keys, problems] = Drain(Open("", o).get());
    EXPECT_TRUE(problems.empty()) << problems.front();
    EXPECT_EQ(keys, std::vector<std::string>(keys_.begin() + 701, keys_.begin() + 1000));
    if (!ignore_start_after) {
      EXPECT_LE(fake_->requests(), 5);  // the root level, then pages 8 to 10 of 100 keys
    }
  }
}

TEST_F(StreamTest, ASmallBucketUnderAPrefixIsListedFlatWithItsKeysRelative) {
  Start(RegistryKeys(20), 7);
  fake_->set_object_count(2'000);
  auto [keys, problems] = Drain(Open("docker/registry/v2/").get());
  EXPECT_TRUE(problems.empty()) << problems.front();
  std::vector<std::string> want;
  for (const auto& k : keys_) {
    if (k.starts_with("docker/registry/v2/")) want.push_back(k.substr(19));
  }
  EXPECT_EQ(keys, want);
}

TEST_F(StreamTest, UnderAPrefixKeysAreRelative) {
  Start(RegistryKeys(10), 5);
  auto [keys, problems] = Drain(Open("docker/registry/v2/").get());
  EXPECT_TRUE(problems.empty());
  std::vector<std::string> want;
  for (const auto& k : keys_) {
    if (k.starts_with("docker/registry/v2/")) want.push_back(k.substr(19));
  }
  EXPECT_EQ(keys, want);
}

TEST_F(StreamTest, ListsInParallelButNotFarAheadOfItsReader) {
  Start(RegistryKeys(100), 10);  // 6,400 blobs: 640+ pages
  fake_->set_delay(std::chrono::milliseconds(2));
  sides::BucketListOptions o;
  o.parallel = 8;
  auto stream = Open("", o);
  sides::ListBatch b;
  ASSERT_TRUE(stream->Next(&b));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // Discovery (a few delimiter levels) plus a page or two per partition in
  // the window: nowhere near the whole listing.
  EXPECT_LT(fake_->requests(), 40) << "listed ahead of the reader";
  EXPECT_LE(fake_->max_in_flight(), o.parallel + 1);
  auto [keys, problems] = Drain(stream.get());
  EXPECT_TRUE(problems.empty());
  EXPECT_GT(fake_->max_in_flight(), 2) << "partitions were not listed in parallel";
  EXPECT_EQ(keys.size() + b.entries.size(), keys_.size());
}

TEST_F(StreamTest, RepeatedContinuationTokenEndsThePartition) {
  Start(RegistryKeys(30), 10);
  fake_->set_tamper([](const std::string& prefix, const std::string&, const std::string& token,
                       FakeListing::Page* page) {
    if (prefix.ends_with("/07/") && !token.empty()) {
      page->truncated = true;
      page->next_token = token;  // the same again, forever
    }
  });
  auto [keys, problems] = Drain(Open("").get());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("repeated its continuation token"), std::string::npos) << problems[0];
  EXPECT_LT(keys.size(), keys_.size());
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
}

TEST_F(StreamTest, KeysOutOfOrderOrOutsideThePrefixAreReportedNotCrashed) {
  Start(RegistryKeys(30), 10);
  fake_->set_tamper([](const std::string& prefix, const std::string&, const std::string&,
                       FakeListing::Page* page) {
    if (prefix.ends_with("/03/")) page->keys.insert(page->keys.begin(), "d");  // shorter
    if (prefix.ends_with("/05/") && page->keys.size() > 1) {
      std::swap(page->keys.front(), page->keys.back());
    }
  });
  auto [keys, problems] = Drain(Open("").get());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("outside"), std::string::npos) << problems[0];
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  for (const auto& k : keys) EXPECT_FALSE(k == "d");
}

// A delimiter listing that names the level itself as one of its folders
// would be listed again and again: it ends that level with a problem.
TEST_F(StreamTest, AFolderThatIsTheLevelItselfIsReportedNotListedAgain) {
  Start(RegistryKeys(3), 10);
  fake_->set_tamper([](const std::string& prefix, const std::string& delimiter, const std::string&,
                       FakeListing::Page* page) {
    if (delimiter == "/" && prefix == "docker/registry/") {
      page->prefixes.insert(page->prefixes.begin(), prefix);
    }
  });
  auto [keys, problems] = Drain(Open("").get());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("not a folder of 'docker/registry/'"), std::string::npos)
      << problems[0];
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_LT(keys.size(), keys_.size());
}

// A wide level of one-key folders (a registry's _layers/sha256/HASH/link),
// with the byte-order traps beside them: folders whose names differ after
// a character below '/', level keys between folders, a key named like a
// folder, deeper keys.
std::vector<std::string> WideLevelKeys() {
  std::vector<std::string> keys = {"a",        "w/f010-x/link", "w/f010.txt",
                                   "w/f020",   "w/f030/a/b/c",  "w/f030/a0",
                                   "w/f030/z", "w/g",           "z"};
  char buf[64];
  for (int i = 0; i < 300; ++i) {
    std::snprintf(buf, sizeof buf, "w/f%03d/link", i);
    keys.push_back(buf);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

TEST_F(StreamTest, AWideLevelOfSmallFoldersIsListedInGroupsNotAListPerFolder) {
  for (bool ignore_start_after : {false, true}) {
    SCOPED_TRACE(ignore_start_after ? "a gateway that ignores start-after" : "");
    Start(WideLevelKeys(), 1000);
    fake_->set_ignore_start_after(ignore_start_after);
    auto [keys, problems] = Drain(Open("").get());
    EXPECT_TRUE(problems.empty()) << problems.front();
    EXPECT_EQ(keys, keys_);
    // The levels, the wide level's first folder, then its other folders of
    // a key each in four groups: 9 requests, where a partition per folder
    // took over 300 and groups of 300 / (2 x 16) = 9 folders 38.
    EXPECT_LT(fake_->requests(), 12);
  }
}

// A wide level of folders of 50 keys each (5,000 keys) costs about the
// pages its keys fill, not a LIST per 2 x 16th of the level: every LIST
// costs the gateway about as much as a page of a thousand keys.
TEST_F(StreamTest, AWideLevelOfSmallFoldersIsListedInAboutTheRequestsItsKeysNeed) {
  std::vector<std::string> all;
  char buf[64];
  for (int folder = 0; folder < 100; ++folder) {
    for (int i = 0; i < 50; ++i) {
      std::snprintf(buf, sizeof buf, "d%02d/f%05d", folder, folder * 50 + i);
      all.push_back(buf);
    }
  }
  Start(all, 1000);
  auto [keys, problems] = Drain(Open("").get());
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(keys, keys_);
  // The root level, its first folder, and six groups of 16 folders (800
  // keys, a page each) and one of 3: 9 requests; 35 in groups of 3.
  EXPECT_LE(fake_->requests(), 10);
}

TEST_F(StreamTest, AShareOfAWideLevelHasExactlyItsKeys) {
  Start(WideLevelKeys(), 1000);
  sides::BucketListOptions o;
  o.range.after = "w/f010-x/link";
  o.range.through = "w/f200/link";
  auto [keys, problems] = Drain(Open("", o).get());
  EXPECT_TRUE(problems.empty()) << problems.front();
  std::vector<std::string> want;
  for (const auto& k : keys_) {
    if (o.range.Contains(k)) want.push_back(k);
  }
  EXPECT_EQ(keys, want);
}

TEST_F(StreamTest, EmptyBucketIsAnEmptyStream) {
  Start({}, 10);
  auto [keys, problems] = Drain(Open("").get());
  EXPECT_TRUE(keys.empty());
  EXPECT_TRUE(problems.empty());
}

// Two streams from vectors, merged.
class VectorStream final : public sides::EntryStream {
 public:
  explicit VectorStream(std::vector<plan::Entry> e) : entries_(std::move(e)) {}
  bool Next(sides::ListBatch* b) override {
    if (done_) return false;
    b->entries = entries_;
    done_ = true;
    return true;
  }
  uint64_t listed() const override { return entries_.size(); }

 private:
  std::vector<plan::Entry> entries_;
  bool done_ = false;
};

plan::Entry E(std::string key, uint64_t size, std::string etag = "") {
  plan::Entry e;
  e.key = std::move(key);
  e.size = size;
  e.etag = std::move(etag);
  return e;
}

TEST(MergerTest, PairsKeysAndDecides) {
  VectorStream src({E("a", 1, "x"), E("b", 2, "y"), E("d", 4, "w")});
  VectorStream dst({E("b", 2, "y"), E("c", 3, "z"), E("d", 5, "w")});
  plan::PlanOptions o;
  o.direction = plan::Direction::kCopy;
  o.delete_extra = true;
  std::vector<std::string> problems;
  Merger m(&src, &dst, o, nullptr,
           [&](Merger::SideId, const sides::Problem& p) { problems.push_back(p.path); });
  std::vector<std::string> got;
  plan::Action a;
  while (m.Next(&a)) got.push_back(std::string(plan::ActionName(a.kind)) + " " + a.key);
  EXPECT_EQ(got, (std::vector<std::string>{"copy a", "skip b", "delete c", "copy d"}));
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(m.source_entries(), 3u);
  EXPECT_EQ(m.destination_entries(), 3u);
}

TEST(MergerTest, PairsKeysInS3ByteOrder) {
  // "a-b" sorts before "a/b" ('-' is 0x2d, '/' is 0x2f), "a/b" before "a0",
  // and U+00E9 (0xC3 0xA9) after 'z': keys compare as unsigned bytes.
  VectorStream src({E("a-b", 1), E("a/b", 1), E("a0", 1), E("z", 1), E("\xc3\xa9", 1)});
  VectorStream dst({E("a/b", 1), E("a/c", 1), E("a0", 1)});
  std::vector<std::string> problems;
  Merger m(&src, &dst, plan::PlanOptions(), nullptr,
           [&](Merger::SideId, const sides::Problem& p) { problems.push_back(p.path); });
  std::vector<std::string> seen;
  plan::Action a;
  while (m.Next(&a)) {
    seen.push_back(a.key + ":" + (a.src && a.dst ? "both" : a.src ? "src" : "dst"));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a-b:src", "a/b:both", "a/c:dst", "a0:both", "z:src",
                                            "\xc3\xa9:src"}));
  EXPECT_TRUE(problems.empty());
}

TEST(MergerTest, AListingOutOfOrderIsAProblemNotACrash) {
  VectorStream src({E("b", 1), E("a", 1), E("c", 1)});
  VectorStream dst({});
  std::vector<std::string> problems;
  Merger m(&src, &dst, plan::PlanOptions(), nullptr,
           [&](Merger::SideId, const sides::Problem& p) { problems.push_back(p.path); });
  std::vector<std::string> seen;
  plan::Action a;
  while (m.Next(&a)) seen.push_back(a.key);
  EXPECT_EQ(seen, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(problems, std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace gwsync::sync
