// Sharded syncs without a gateway: for awkward keys (every byte 0x01..0xff,
// keys that are prefixes of each other, `a-b` / `a/b` order traps) and
// several N, the shares are disjoint and together hold every key; a bucket
// listed share by share (through tests/support/fake_listing.h) lists each
// key once and, added up over the shares, about one listing's requests; the
// plans balance the shares; and merged reports name what is missing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <set>

#include "session/report_merge.h"
#include "session/shard_plan.h"
#include "sides/bucket_side.h"
#include "sides/key_range.h"
#include "support/fake_listing.h"

namespace gwsync::session {
namespace {

using gwsync::testing::FakeListing;

std::vector<std::string> AwkwardKeys() {
  std::set<std::string> keys = {"a",   "a-b",        "a/b",          "a/b/c", "a0",
                                "ab",  "a/",         "a//b",         "b",     "z",
                                "é/ü", "with space", "with space/x", "%41",   "~"};
  for (int c = 1; c < 256; ++c) {
    std::string k(1, static_cast<char>(c));
    keys.insert(k);
    keys.insert(k + "/x");
    keys.insert("p/" + k);
    keys.insert("p/" + k + k);
  }
  for (int i = 0; i < 300; ++i) keys.insert("d/" + std::to_string(i * 7919 % 1000) + "/f");
  keys.erase("/x");  // an empty first segment is legal, but "/" alone is dull
  return {keys.begin(), keys.end()};
}

// A listing from a vector, for the plan.
class VectorStream final : public sides::EntryStream {
 public:
  explicit VectorStream(const std::vector<std::string>& keys) {
    for (size_t i = 0; i < keys.size(); i += 100) {
      sides::ListBatch b;
      for (size_t j = i; j < std::min(keys.size(), i + 100); ++j) {
        plan::Entry e;
        e.key = keys[j];
        e.size = j;
        b.entries.push_back(std::move(e));
      }
      batches_.push_back(std::move(b));
    }
  }
  bool Next(sides::ListBatch* batch) override {
    if (next_ >= batches_.size()) return false;
    *batch = batches_[next_++];
    return true;
  }
  uint64_t listed() const override { return 0; }

 private:
  std::vector<sides::ListBatch> batches_;
  size_t next_ = 0;
};

TEST(KeyRangeTest, EveryKeyInExactlyOneShare) {
  auto keys = AwkwardKeys();
  std::mt19937 rng(7);
  for (int n : {1, 2, 3, 5, 16, 100, 700}) {
    // Split points from the plan, and random ones, some not keys at all.
    std::vector<std::vector<std::string>> splits;
    VectorStream stream(keys);
    auto plan = PlanFromStream(stream, n);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    splits.push_back(plan->bounds);
    std::set<std::string> random;
    while (static_cast<int>(random.size()) < n - 1) {
      std::string b = keys[rng() % keys.size()];
      if (rng() % 2) b.push_back(static_cast<char>(rng() % 256));
      random.insert(b);
    }
    splits.emplace_back(random.begin(), random.end());
    for (const auto& bounds : splits) {
      ASSERT_EQ(static_cast<int>(bounds.size()), n - 1);
      ASSERT_TRUE(sides::ValidateBounds(bounds).ok());
      for (const auto& k : keys) {
        int in = 0;
        for (int i = 0; i < n; ++i) in += sides::ShareRange(bounds, i).Contains(k);
        EXPECT_EQ(in, 1) << "key '" << sides::EncodeKey(k) << "' in " << in << " of " << n
                         << " shares";
      }
    }
  }
}

TEST(KeyRangeTest, FolderTestsAgreeWithTheirKeys) {
  sides::KeyRange r{.after = std::string("a/b"), .through = std::string("p/\x80")};
  for (const auto& k : AwkwardKeys()) {
    for (size_t cut = 1; cut <= k.size(); ++cut) {
      if (k[cut - 1] != '/') continue;
      std::string folder = k.substr(0, cut);
      if (r.FolderBelow(folder) || r.FolderAbove(folder)) {
        EXPECT_FALSE(r.Contains(k)) << sides::EncodeKey(k) << " in " << sides::EncodeKey(folder);
      }
    }
  }
}

TEST(KeyRangeTest, KeysEncodeAndDecode) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  std::string enc = sides::EncodeKey(all);
  for (unsigned char c : enc) EXPECT_TRUE(c > ' ' && c < 0x7f) << "byte " << int(c);
  EXPECT_EQ(*sides::DecodeKey(enc), all);
  EXPECT_EQ(*sides::DecodeKey("a b"), "a b");
  EXPECT_FALSE(sides::DecodeKey("%4").ok());
  EXPECT_FALSE(sides::DecodeKey("%zz").ok());
}

TEST(KeyRangeTest, ShareSpecs) {
  EXPECT_EQ(sides::ParseShareSpec("3/8")->index, 3);
  EXPECT_EQ(sides::ParseShareSpec("3/8")->count, 8);
  for (const char* bad : {"8/8", "-1/4", "1/0", "1", "a/b", "1/2/3", ""}) {
    EXPECT_FALSE(sides::ParseShareSpec(bad).ok()) << bad;
  }
  unsetenv("JOB_COMPLETION_INDEX");
  unsetenv("GWSYNC_SHARD_COUNT");
  setenv("SLURM_ARRAY_TASK_ID", "5", 1);
  setenv("SLURM_ARRAY_TASK_COUNT", "8", 1);
  EXPECT_EQ(sides::ParseShareSpec("auto")->index, 5);
  EXPECT_EQ(sides::ParseShareSpec("auto")->count, 8);
  // Task 5 run again alone: an array of one, the count from the submitter.
  setenv("SLURM_ARRAY_TASK_COUNT", "1", 1);
  EXPECT_FALSE(sides::ParseShareSpec("auto").ok());
  setenv("GWSYNC_SHARD_COUNT", "8", 1);
  EXPECT_EQ(sides::ParseShareSpec("auto")->count, 8);
  unsetenv("GWSYNC_SHARD_COUNT");
  unsetenv("SLURM_ARRAY_TASK_ID");
  unsetenv("SLURM_ARRAY_TASK_COUNT");
  EXPECT_FALSE(sides::ParseShareSpec("auto").ok());
  setenv("JOB_COMPLETION_INDEX", "2", 1);
  EXPECT_FALSE(sides::ParseShareSpec("auto").ok()) << "no GWSYNC_SHARD_COUNT";
  setenv("GWSYNC_SHARD_COUNT", "3", 1);
  EXPECT_EQ(sides::ParseShareSpec("auto")->index, 2);
  EXPECT_EQ(sides::ParseShareSpec("auto")->count, 3);
  unsetenv("JOB_COMPLETION_INDEX");
  unsetenv("GWSYNC_SHARD_COUNT");
}

TEST(ShardPlanTest, ListingPlanBalancesKeysAndCountsThem) {
  std::vector<std::string> keys;
  for (int i = 0; i < 100000; ++i) keys.push_back("k" + std::to_string(1000000 + i));
  VectorStream stream(keys);
  auto plan = PlanFromStream(stream, 7);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->keys.size(), 7u);
  uint64_t total = 0, bytes = 0;
  for (int i = 0; i < 7; ++i) {
    EXPECT_NEAR(static_cast<double>(plan->keys[i]), 100000.0 / 7, 100000.0 / 7 * 0.05);
    total += plan->keys[i];
    bytes += plan->bytes[i];
  }
  EXPECT_EQ(total, 100000u);
  EXPECT_EQ(bytes, 99999ull * 100000 / 2);  // sizes 0..99999
  // Exact per share: count the keys each range holds.
  for (int i = 0; i < 7; ++i) {
    sides::KeyRange r = sides::ShareRange(plan->bounds, i);
    EXPECT_EQ(std::count_if(keys.begin(), keys.end(), [&](auto& k) { return r.Contains(k); }),
              static_cast<long>(plan->keys[i]));
  }
}

TEST(ShardPlanTest, MoreSharesThanKeys) {
  std::vector<std::string> keys = {"a", "b"};
  VectorStream stream(keys);
  auto plan = PlanFromStream(stream, 5);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->count(), 5);
  uint64_t total = 0;
  for (auto k : plan->keys) total += k;
  EXPECT_EQ(total, 2u);
}

TEST(ShardPlanTest, FileRoundTrip) {
  ShardPlan plan;
  plan.bounds = {std::string("\x01\xff", 2), "a b", "\xff\xfe"};
  plan.keys = {1, 2, 3, 4};
  plan.bytes = {5, 6, 7, 8};
  plan.method = "listing";
  std::string path = ::testing::TempDir() + "/plan.json";
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs(ShardPlanJson(plan).c_str(), f);
  std::fclose(f);
  auto back = ReadShardPlan(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->bounds, plan.bounds);
  EXPECT_EQ(back->keys, plan.keys);

  f = std::fopen(path.c_str(), "w");
  std::fputs("# split points\nd/5\n\np/%80\n", f);
  std::fclose(f);
  back = ReadShardPlan(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->bounds, (std::vector<std::string>{"d/5", "p/\x80"}));
  f = std::fopen(path.c_str(), "w");
  std::fputs("b\na\n", f);
  std::fclose(f);
  EXPECT_FALSE(ReadShardPlan(path).ok()) << "descending split points";
}

class ShardListingTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> keys, size_t page_size) {
    keys_ = std::move(keys);
    std::sort(keys_.begin(), keys_.end());
    fake_ = std::make_unique<FakeListing>(keys_, page_size);
    s3::ClientOptions o;
    o.endpoint = *s3::ParseEndpoint("http://127.0.0.1:9");
    o.credentials.access_key = "AK";
    o.credentials.secret_key = "SK";
    client_ = std::make_unique<s3::Client>(fake_.get(), o);
  }
  // Lists the share; its keys and problems.
  std::vector<std::string> List(const std::string& prefix, const sides::KeyRange& range) {
    sides::BucketListOptions o;
    o.range = range;
    auto s = sides::OpenBucketStream(*client_, "b", prefix, o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    std::vector<std::string> keys;
    sides::ListBatch b;
    while ((*s)->Next(&b)) {
      for (auto& e : b.entries) keys.push_back(e.key);
      for (auto& p : b.problems) ADD_FAILURE() << p.path << ": " << p.status.message();
    }
    return keys;
  }
  // Lists every share of `bounds` and checks they add up to the whole.
  void CheckShares(const std::string& prefix, const std::vector<std::string>& bounds) {
    std::vector<std::string> want, got;
    for (const auto& k : keys_) {
      if (k.starts_with(prefix) && k.size() > prefix.size())
        want.push_back(k.substr(prefix.size()));
    }
    int n = static_cast<int>(bounds.size()) + 1;
    for (int i = 0; i < n; ++i) {
      sides::KeyRange r = sides::ShareRange(bounds, i);
      int before = fake_->requests();
      auto keys = List(prefix, r);
      if (getenv("SHARD_DEBUG")) {
        fprintf(stderr, "share %d: %d requests %zu keys\n", i, fake_->requests() - before,
                keys.size());
      }
      for (const auto& k : keys) {
        EXPECT_TRUE(r.Contains(k)) << "share " << i << " listed " << sides::EncodeKey(k);
      }
      EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
      got.insert(got.end(), keys.begin(), keys.end());
    }
    EXPECT_EQ(got, want) << n << " shares";
  }

  std::vector<std::string> keys_;
  std::unique_ptr<s3::Client> client_;
  // Destroyed first: its shutdown completes what is pending into the client.
  std::unique_ptr<FakeListing> fake_;
};

TEST_F(ShardListingTest, SharesListEveryKeyOnce) {
  Start(AwkwardKeys(), 7);
  std::vector<std::string> relative;
  for (int n : {1, 2, 3, 7, 16, 64}) {
    VectorStream stream(keys_);
    auto plan = PlanFromStream(stream, n);
    ASSERT_TRUE(plan.ok());
    CheckShares("", plan->bounds);
  }
  // Split points inside folders, at folder names, and not keys at all.
  CheckShares("", {"a/", "a/b/", "d/5", "p/\x80", "p/\xff\xff\xff"});
  CheckShares("", {std::string("\x01", 1), "a-b", "a/b", "a/b/c", "z"});
  CheckShares("p/", {"", "\x7f", "\x80\x80"});
  CheckShares("d/", {"1", "5/", "5/f", "9"});
}

TEST_F(ShardListingTest, AGatewayWithoutStartAfterStillGivesEachKeyOnce) {
  Start(AwkwardKeys(), 5);
  fake_->set_ignore_start_after(true);
  CheckShares("", {"a/", "a/b/", "d/5", "p/\x80", "p/\xff\xff\xff"});
  CheckShares("d/", {"1", "5/", "5/f", "9"});
}

TEST_F(ShardListingTest, SharesTogetherListAboutOnce) {
  // 64 folders of 200 keys: a full listing is ~1,300 requests of 10 keys.
  std::vector<std::string> keys;
  char buf[64];
  for (int folder = 0; folder < 64; ++folder) {
    for (int i = 0; i < 200; ++i) {
      std::snprintf(buf, sizeof buf, "blobs/%02x/%06d/data", folder, i);
      keys.push_back(buf);
    }
  }
  Start(keys, 10);
  List("", {});
  int whole = fake_->requests();
  for (int n : {4, 16}) {
    VectorStream stream(keys_);
    auto plan = PlanFromStream(stream, n);
    int before = fake_->requests();
    CheckShares("", plan->bounds);
    int shares = fake_->requests() - before;
    // Each share adds at most a few delimiter pages and a partial page.
    EXPECT_LT(shares, whole + 6 * n) << n << " shares vs one listing of " << whole;
  }
}

// A delimiter level whose pages break the rules (a folder out of order, a
// token that never changes) ends the plan with an error, not wrong split
// points or a loop.
TEST_F(ShardListingTest, QuickBoundsRefuseABrokenListing) {
  std::vector<std::string> keys;
  for (int folder = 0; folder < 40; ++folder)
    keys.push_back("r/" + std::to_string(100 + folder) + "/k");
  Start(keys, 10);
  fake_->set_tamper([](const std::string& prefix, const std::string&, const std::string&,
                       FakeListing::Page* page) {
    if (prefix == "r/" && page->prefixes.size() > 2)
      std::swap(page->prefixes[0], page->prefixes[1]);
  });
  auto plan = QuickBounds(*client_, "b", "", 4);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("out of order"), std::string::npos)
      << plan.status().ToString();

  fake_->set_tamper([](const std::string& prefix, const std::string&, const std::string& token,
                       FakeListing::Page* page) {
    if (prefix == "r/" && !token.empty()) {
      page->truncated = true;
      page->next_token = token;  // the same again, forever
    }
  });
  plan = QuickBounds(*client_, "b", "", 4);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("continuation token"), std::string::npos)
      << plan.status().ToString();
}

// --list-limit bounds the delimiter listings of a plan as it bounds every
// other listing of a bucket: past it, the plan ends with an error.
TEST(QuickBoundsTest, StopAtTheListLimit) {
  std::vector<std::string> keys;
  for (int folder = 0; folder < 40; ++folder)
    keys.push_back("r/" + std::to_string(100 + folder) + "/k");
  FakeListing fake(keys, 10);
  s3::ClientOptions o;
  o.endpoint = *s3::ParseEndpoint("http://127.0.0.1:9");
  o.credentials.access_key = "AK";
  o.credentials.secret_key = "SK";
  o.list_limit = 25;
  s3::Client client(&fake, o);
  auto plan = QuickBounds(client, "b", "", 4);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("more than 25 folders"), std::string::npos)
      << plan.status().ToString();
}

TEST_F(ShardListingTest, QuickBoundsSplitByFolders) {
  std::vector<std::string> keys;
  for (int folder = 0; folder < 40; ++folder) {
    for (int i = 0; i < 20; ++i) {
      keys.push_back("r/" + std::to_string(100 + folder) + "/" + std::to_string(i));
    }
  }
  Start(keys, 1000);
  auto plan = QuickBounds(*client_, "b", "", 4);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->count(), 4);
  CheckShares("", plan->bounds);
  for (int i = 0; i < 4; ++i) {
    sides::KeyRange r = sides::ShareRange(plan->bounds, i);
    auto n = std::count_if(keys_.begin(), keys_.end(), [&](auto& k) { return r.Contains(k); });
    EXPECT_NEAR(n, 200, 40) << "share " << i;
  }
}

std::string Report(int index, int count, const char* after, const char* through, int errors,
                   int objects) {
  nlohmann::json j = {{"source", "s3://b"},
                      {"destination", "/backup"},
                      {"actions", {{"download", {{"objects", objects}, {"bytes", 10 * objects}}}}},
                      {"source_objects", objects},
                      {"error_count", errors},
                      {"seconds", 1.5},
                      {"uploads_aborted", index},
                      {"manifests_removed", 1},
                      {"endpoints", {{{"remote", "default"}, {"endpoint", "e"}, {"requests", 3}}}}};
  j["shard"] = {{"index", index},
                {"count", count},
                {"after", after ? nlohmann::json(after) : nlohmann::json(nullptr)},
                {"through", through ? nlohmann::json(through) : nlohmann::json(nullptr)}};
  return j.dump();
}

TEST(ReportMergeTest, AddsUpCompleteShares) {
  auto m = MergeReports({{"0.json", Report(0, 3, nullptr, "g", 0, 5)},
                         {"2.json", Report(2, 3, "p", nullptr, 0, 7)},
                         {"1.json", Report(1, 3, "g", "p", 0, 6)}});
  EXPECT_TRUE(m.complete()) << m.problems.front();
  EXPECT_EQ(m.report["source_objects"], 18);
  EXPECT_EQ(m.report["actions"]["download"]["objects"], 18);
  EXPECT_EQ(m.report["actions"]["download"]["bytes"], 180);
  EXPECT_EQ(m.report["endpoints"][0]["requests"], 9);
  EXPECT_EQ(m.report["shares"].size(), 3u);
  EXPECT_EQ(m.report["uploads_aborted"], 0 + 1 + 2);
  EXPECT_EQ(m.report["manifests_removed"], 3);
}

TEST(ReportMergeTest, NamesMissingFailedAndMismatchedShares) {
  auto m = MergeReports({{"0.json", Report(0, 3, nullptr, "g", 0, 5)},
                         {"2.json", Report(2, 3, "p", nullptr, 2, 7)},
                         {"bad.json", ""}});
  EXPECT_FALSE(m.complete());
  EXPECT_EQ(m.report["missing"], nlohmann::json::array({1}));
  EXPECT_EQ(m.report["failed"], nlohmann::json::array({2}));
  EXPECT_EQ(m.problems.size(), 3u);  // bad.json, share 1 missing, share 2 failed

  // Re-running the failed share completes the whole.
  m = MergeReports({{"0.json", Report(0, 2, nullptr, "g", 0, 5)},
                    {"1.json", Report(1, 2, "g", nullptr, 1, 7)},
                    {"1-again.json", Report(1, 2, "g", nullptr, 0, 7)}});
  EXPECT_TRUE(m.complete());

  m = MergeReports(
      {{"0.json", Report(0, 2, nullptr, "g", 0, 5)}, {"1.json", Report(1, 2, "h", nullptr, 0, 7)}});
  EXPECT_FALSE(m.complete()) << "a gap between g and h";
}

}  // namespace
}  // namespace gwsync::session
