// `gwsync sync --shard I/N`: a backup split over N runs of the binary
// against the real RGW adds up to the whole, byte for byte, each key backed
// up once, awkward names included; --delete stays inside its share; and
// `report merge` says when a share is missing or failed, until it is run
// again; each share's manifest holds its own keys, and the merge joins them
// into the backup's manifest only once every share is in.
#include "e2e/sync_fixture.h"

namespace gwsync::e2e {
namespace {

class SyncShardTest : public SyncCliTest {
 protected:
  // Keys that trip byte order and encoding: spaces, UTF-8, `a-b` before
  // `a/b`, keys that are prefixes of others, many folders and loose keys.
  static Tree AwkwardTree() {
    Tree t = {{"a-b", "1"},    {"a/b", "2"},     {"a0", "3"},    {"a b/c d", "4"},
              {"é/ü/ß", "5"},  {"日本/語", "6"}, {"x+y", "7"},   {"%41", "8"},
              {"~tilde", "9"}, {"a/b-c", "10"},  {"a/bc", "11"}, {"ab", "12"}};
    for (int i = 0; i < 240; ++i) {
      char key[64];
      std::snprintf(key, sizeof key, "blobs/%02x/k%03d %s", i % 37, i, i % 2 ? "é" : "a-b");
      t[key] = std::string(static_cast<size_t>(i * 13 % 200), static_cast<char>('a' + i % 26));
    }
    return t;
  }
  // Runs share I of N of `src` -> `dst` with the plan; its report.
  Result Share(int i, int n, const std::string& src, const std::string& dst,
               const std::string& plan, std::vector<std::string> flags = {}) {
    std::vector<std::string> args = {
        "sync", src, dst, "--json", "--shard", std::to_string(i) + "/" + std::to_string(n)};
    if (!plan.empty()) args.insert(args.end(), {"--shard-plan", plan});
    args.insert(args.end(), flags.begin(), flags.end());
    return Gw(args);  // no --index: each share its own default index in HOME
  }
  std::string SaveReport(const Result& r, const std::string& name) {
    std::string path = work_.File(name);
    WriteFile(path, r.out);
    return path;
  }
};

TEST_F(SyncShardTest, SharesAddUpToTheWholeBackup) {
  std::string bucket = FreshBucket("shard");
  Tree tree = AwkwardTree();
  std::string src = work_.File("src");
  WriteTree(src, tree);
  ExpectOk(Sync(src, "s3://" + bucket));

  std::string plan = work_.File("plan.json");
  Result p = Gw({"shard-plan", "s3://" + bucket, "out", "-n", "3", "-o", plan});
  ExpectOk(p);
  json plan_json = json::parse(ReadFile(plan));
  EXPECT_EQ(plan_json["total_keys"], tree.size()) << plan_json.dump();

  std::string dst = work_.File("backup");
  std::vector<std::string> args = {"report", "merge"};
  uint64_t listed = 0;
  for (int i = 0; i < 3; ++i) {
    Result r = Share(i, 3, "s3://" + bucket, dst, plan);
    ExpectOk(r);
    json j = Report(r);
    EXPECT_EQ(j["shard"]["index"], i);
    EXPECT_EQ(j["shard"]["count"], 3);
    EXPECT_EQ(j["source_objects"], plan_json["keys"][i]) << "share " << i;
    EXPECT_EQ(JsonCount(j, "download"), plan_json["keys"][i].get<uint64_t>());
    listed += j["source_objects"].get<uint64_t>();
    // A manifest of the share's keys only, named with it; the backup's
    // manifest-latest waits for the merge.
    ASSERT_EQ(j["manifests"].size(), 1u) << r;
    std::string part = j["manifests"][0];
    EXPECT_TRUE(part.ends_with("-share-" + std::to_string(i) + "-of-3.jsonl.zst")) << part;
    Result keys = Gw({"verify", "s3://" + bucket, part});
    EXPECT_EQ(keys.exit_code, 1) << "a share's manifest lacks the other shares' keys: " << keys;
    EXPECT_FALSE(fs::exists(dst + "/.gwsync/manifest-latest"));
    args.push_back(SaveReport(r, "share" + std::to_string(i) + ".json"));
  }
  EXPECT_EQ(listed, tree.size()) << "a key listed by two shares, or by none";
  EXPECT_TRUE(SameTree(ReadTree(dst), tree));

  Result merged = Run(args);
  ExpectOk(merged);
  json m = Report(merged);
  EXPECT_EQ(m["complete"], true);
  EXPECT_EQ(JsonCount(m, "download"), tree.size());
  EXPECT_EQ(m["shares"].size(), 3u);
  // The shares' manifests joined: every key once, and the backup proven.
  ASSERT_EQ(m["manifests"].size(), 1u) << merged;
  EXPECT_EQ(dst + "/.gwsync/" + ReadFile(dst + "/.gwsync/manifest-latest"),
            m["manifests"][0].get<std::string>() + "\n");
  ExpectOk(Gw({"verify", "s3://" + bucket, dst + "/.gwsync/manifest-latest"}));
  ExpectOk(Gw({"verify", dst + "/.gwsync/manifest-latest", dst}));
  Result one = Gw({"sync", "s3://" + bucket, dst, "--shard", "0/3", "--shard-plan", plan,
                   "--manifest", work_.File("one.jsonl.zst")});
  EXPECT_EQ(one.exit_code, 2) << "--manifest PATH and --shard: one file for several shares";
  EXPECT_TRUE(Contains(one.err, "leave --manifest out with --shard")) << one;

  // Without a plan, each share splits by a delimiter listing of its own:
  // still every key once (nothing to do: all there).
  listed = 0;
  for (int i = 0; i < 4; ++i) {
    Result r = Share(i, 4, "s3://" + bucket, dst, "");
    ExpectOk(r);
    json j = Report(r);
    EXPECT_EQ(JsonCount(j, "download"), 0u) << r;
    listed += j["source_objects"].get<uint64_t>();
  }
  EXPECT_EQ(listed, tree.size());
}

TEST_F(SyncShardTest, DeleteStaysInsideItsShare) {
  std::string bucket = FreshBucket("shard-del");
  std::string src = work_.File("src");
  WriteTree(src, {{"a/1", "1"}, {"m/1", "2"}, {"z/1", "3"}});
  ExpectOk(Sync(src, "s3://" + bucket));
  Put(client(), bucket, "a/extra", "x");
  Put(client(), bucket, "z/extra", "x");
  std::string bounds = work_.File("bounds.txt");
  WriteFile(bounds, "# share 0: up to and with 'm/'\nm/\n");

  ExpectOk(Share(0, 2, src, "s3://" + bucket, bounds, {"--delete"}));
  Tree left = BucketTree(client(), bucket);
  EXPECT_EQ(left.count("a/extra"), 0u) << "inside share 0: deleted";
  EXPECT_EQ(left.count("z/extra"), 1u) << "outside share 0: kept";
  ExpectOk(Share(1, 2, src, "s3://" + bucket, bounds, {"--delete"}));
  EXPECT_EQ(BucketTree(client(), bucket), (Tree{{"a/1", "1"}, {"m/1", "2"}, {"z/1", "3"}}));
}

TEST_F(SyncShardTest, BucketToBucketSharesCopyEachKeyOnce) {
  std::string from = FreshBucket("shard-from"), to = FreshBucket("shard-to");
  Tree tree = AwkwardTree();
  std::string src = work_.File("src");
  WriteTree(src, tree);
  ExpectOk(Sync(src, "s3://" + from));
  std::string plan = work_.File("plan.json");
  ExpectOk(Gw({"shard-plan", "s3://" + from, "s3://" + to, "-n", "2", "-o", plan}));
  uint64_t copied = 0;
  for (int i = 0; i < 2; ++i) {
    Result r = Share(i, 2, "s3://" + from, "s3://" + to, plan);
    ExpectOk(r);
    copied += JsonCount(Report(r), "copy");
  }
  EXPECT_EQ(copied, tree.size());
  EXPECT_EQ(BucketTree(client(), to), tree);
}

TEST_F(SyncShardTest, MergeNamesAMissingShareUntilItIsRun) {
  std::string bucket = FreshBucket("shard-merge");
  ExpectOk(Gw({"mb", "s3://" + bucket}));
  PutTree(client(), bucket, {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}});
  std::string bounds = work_.File("bounds.txt");
  WriteFile(bounds, "a\nc\n");
  std::string dst = work_.File("backup");
  std::string r0 = SaveReport(Share(0, 3, "s3://" + bucket, dst, bounds), "0.json");
  std::string r2 = SaveReport(Share(2, 3, "s3://" + bucket, dst, bounds), "2.json");
  std::string empty = work_.File("1.json");
  WriteFile(empty, "");  // what a share that died leaves behind `> 1.json`

  Result m = Run({"report", "merge", r0, empty, r2});
  EXPECT_EQ(m.exit_code, 1) << m;
  EXPECT_TRUE(Contains(m.err, "share 1 of 3: no report")) << m;
  EXPECT_EQ(Report(m)["missing"], json::array({1}));
  EXPECT_FALSE(fs::exists(dst + "/.gwsync/manifest-latest")) << "a manifest of a partial backup";

  std::string r1 = SaveReport(Share(1, 3, "s3://" + bucket, dst, bounds), "1.json");
  ExpectOk(Run({"report", "merge", r0, r1, r2}));
  ExpectOk(Gw({"verify", "s3://" + bucket, dst + "/.gwsync/manifest-latest"}));

  // A share's manifest the merge cannot read (a merge on a machine that
  // does not see the backup): named, exit 1, the last manifest kept.
  std::string latest = ReadFile(dst + "/.gwsync/manifest-latest");
  std::string part1 = json::parse(ReadFile(r1))["manifests"][0];
  fs::remove(part1);
  Result lost = Run({"report", "merge", r0, r1, r2});
  EXPECT_EQ(lost.exit_code, 1) << lost;
  EXPECT_TRUE(Contains(lost.err, "manifest not written")) << lost;
  EXPECT_TRUE(Contains(lost.err, part1)) << lost;
  EXPECT_EQ(ReadFile(dst + "/.gwsync/manifest-latest"), latest);
  EXPECT_TRUE(SameTree(ReadTree(dst), {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}}));
}

TEST_F(SyncShardTest, AutoSaysWhatIsMissing) {
  std::string bucket = FreshBucket("shard-auto");
  Result r =
      Run({"--endpoint", endpoint_, "sync", "--shard", "auto", "s3://" + bucket, work_.File("x")},
          {{"JOB_COMPLETION_INDEX", "1"},
           {"AWS_ACCESS_KEY_ID", access_key_},
           {"AWS_SECRET_ACCESS_KEY", secret_key_}});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_TRUE(Contains(r.err, "GWSYNC_SHARD_COUNT")) << r;
}

}  // namespace
}  // namespace gwsync::e2e
