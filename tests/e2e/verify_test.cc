// Proving a backup (issue 13): every sync into a folder leaves a run
// manifest; `gwsync verify` compares a backup with its bucket or its
// manifest and names what is missing, truncated or modified; `gwsync du`
// counts a bucket. The binary against the real RGW; what is checked is what
// an operator reads: the exit code, the keys named, the manifest through
// zstd and a JSON parser.
#include <unistd.h>
#include <zstd.h>

#include <fstream>

#include "e2e/sync_fixture.h"
#include "hash/hash.h"

namespace gwsync::e2e {
namespace {

// The lines of a zstd-compressed JSON-lines file, parsed (as `zstdcat | jq`).
std::vector<json> ReadManifest(const std::string& path) {
  std::string packed = ReadFile(path);
  std::vector<json> out;
  ZSTD_DStream* z = ZSTD_createDStream();
  std::string text, buf(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer in{packed.data(), packed.size(), 0};
  while (in.pos < in.size) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    size_t r = ZSTD_decompressStream(z, &o, &in);
    EXPECT_FALSE(ZSTD_isError(r)) << path << ": " << ZSTD_getErrorName(r);
    if (ZSTD_isError(r)) break;
    text.append(buf.data(), o.pos);
  }
  ZSTD_freeDStream(z);
  for (const auto& line : Lines(text)) {
    json j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    out.push_back(j);
  }
  return out;
}

// The manifest .gwsync/manifest-latest names in a backup folder.
std::string LatestManifest(const std::string& backup) {
  std::ifstream in(backup + "/.gwsync/manifest-latest");
  std::string name;
  std::getline(in, name);
  EXPECT_FALSE(name.empty()) << backup << " has no .gwsync/manifest-latest";
  return backup + "/.gwsync/" + name;
}

class VerifyCliTest : public SyncCliTest {
 protected:
  Result Verify(const std::string& src, const std::string& dst,
                std::vector<std::string> flags = {}) {
    std::vector<std::string> args = {"verify", src, dst};
    args.insert(args.end(), flags.begin(), flags.end());
    return Gw(args);
  }
  // A line of verify's text report naming `key` as `kind`.
  static bool Named(const Result& r, const std::string& kind, const std::string& key) {
    for (const auto& line : Lines(r.out)) {
      if (line.rfind(kind + " ", 0) == 0 && line.find(" " + key) != std::string::npos) return true;
    }
    return false;
  }
};

TEST_F(VerifyCliTest, CleanBackupVerifiesManifestIsJson) {
  Tree tree = {{"a/1", "one"}, {"a/2", "two"}, {"b/3", RandomBytes(70000, 1)}, {"top", "t"}};
  PutTree(client(), bucket_, tree);
  std::string backup = work_.File("backup");
  Result sync = Sync("s3://" + bucket_, backup);
  ExpectOk(sync);
  EXPECT_TRUE(Contains(sync.out, "manifest: " + backup + "/.gwsync/manifest-")) << sync;
  EXPECT_TRUE(SameTree(ReadTree(backup), tree));

  std::vector<json> lines = ReadManifest(LatestManifest(backup));
  ASSERT_EQ(lines.size(), tree.size() + 2);  // header, records, trailer
  EXPECT_EQ(lines[0]["format"], "gwsync-manifest");
  EXPECT_EQ(lines[0]["version"], 1);
  EXPECT_EQ(lines[0]["source"], "s3://" + bucket_);
  EXPECT_TRUE(lines[0]["time"].get<std::string>().ends_with("Z"));
  auto listed = ListKeys("s3://" + bucket_);
  size_t i = 1;
  for (const auto& [key, data] : tree) {
    const json& rec = lines[i++];
    EXPECT_EQ(rec["key"], key);
    EXPECT_EQ(rec["size"], data.size());
    EXPECT_EQ(rec["md5"], hash::Hex(hash::Md5(data))) << key;
    EXPECT_EQ(rec["etag"], rec["md5"]) << key;  // single-part objects
    EXPECT_GT(rec["mtime_ns"].get<int64_t>(), 0);
    EXPECT_EQ(rec["mode"], 0644);
  }
  EXPECT_EQ(lines.back()["end"], true);
  EXPECT_EQ(lines.back()["objects"], tree.size());

  for (const auto& flags : std::vector<std::vector<std::string>>{{}, {"--content"}}) {
    Result r = Verify("s3://" + bucket_, backup, flags);
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_TRUE(Contains(r.out, "verify: OK")) << r;
  }
  Result m = Verify("s3://" + bucket_, LatestManifest(backup));  // listing only
  EXPECT_EQ(m.exit_code, 0) << m;
  Result f = Verify(backup + "/.gwsync/manifest-latest", backup, {"--content", "--json"});
  EXPECT_EQ(f.exit_code, 0) << f;
  json j = Report(f);
  EXPECT_EQ(j["match"], true) << f;
  EXPECT_EQ(j["contents_read"], tree.size()) << f;
}

TEST_F(VerifyCliTest, NamesDeletedTruncatedModified) {
  Tree tree = {{"keep", "kept"},
               {"deleted", "gone soon"},
               {"truncated", "0123456789"},
               {"modified", "original!"}};
  PutTree(client(), bucket_, tree);
  std::string backup = work_.File("backup");
  ExpectOk(Sync("s3://" + bucket_, backup));
  std::string manifest = LatestManifest(backup);

  ASSERT_EQ(unlink((backup + "/deleted").c_str()), 0);
  ASSERT_EQ(truncate((backup + "/truncated").c_str(), 4), 0);
  WriteFile(backup + "/modified", "tampered!");  // the same size: only content shows it

  Result r = Verify("s3://" + bucket_, backup, {"--content"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_TRUE(Named(r, "missing", "deleted")) << r;
  EXPECT_TRUE(Named(r, "different", "truncated")) << r;
  EXPECT_TRUE(Named(r, "different", "modified")) << r;
  EXPECT_FALSE(Named(r, "different", "keep")) << r;
  EXPECT_TRUE(Contains(r.out, "verify: DIFFERENT")) << r;

  // Against the manifest, without reading: the mtime gives the rewrite away.
  Result m = Verify(manifest, backup, {"--json"});
  EXPECT_EQ(m.exit_code, 1) << m;
  json j = Report(m);
  EXPECT_EQ(j["match"], false);
  EXPECT_EQ(j["missing"], json::array({"deleted"})) << m;
  std::vector<std::string> different;
  for (const auto& d : j["different"]) different.push_back(d["key"]);
  EXPECT_EQ(different, (std::vector<std::string>{"modified", "truncated"})) << m;
  EXPECT_EQ(j["extra"], json::array()) << m;

  // A file the bucket never had is extra.
  ASSERT_EQ(unlink((backup + "/modified").c_str()), 0);
  ExpectOk(Sync("s3://" + bucket_, backup));  // repaired
  WriteFile(backup + "/stray", "x");
  Result e = Verify("s3://" + bucket_, backup);
  EXPECT_EQ(e.exit_code, 1) << e;
  EXPECT_TRUE(Named(e, "extra", "stray")) << e;
}

TEST_F(VerifyCliTest, BucketAgainstItsManifestByListingOnly) {
  PutTree(client(), bucket_, {{"x/1", "first"}, {"x/2", "second"}, {"y", "why"}});
  std::string backup = work_.File("backup");
  ExpectOk(Sync("s3://" + bucket_, backup));
  std::string manifest = LatestManifest(backup);
  ExpectOk(Verify(manifest, "s3://" + bucket_));

  Put(client(), bucket_, "x/1", "FIRST");  // same size, new content: a new ETag
  ExpectOk(Gw({"rm", "s3://" + bucket_ + "/y"}));
  Result r = Verify(manifest, "s3://" + bucket_);
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_TRUE(Named(r, "different", "x/1")) << r;
  EXPECT_TRUE(Contains(r.out, "ETag")) << r;
  EXPECT_TRUE(Named(r, "missing", "y")) << r;
}

TEST_F(VerifyCliTest, MultipartObjectIsCheckedByContent) {
  std::string src = work_.File("src");
  std::string big = RandomBytes(13 * kMiB + 12345, 2);
  WriteTree(src, {{"big", big}, {"small", "s"}});
  // Uploaded in 5 MiB parts: a "-3" ETag.
  ExpectOk(Gw({"--multipart-threshold", "8MiB", "--part-size", "5MiB", "sync", src,
               "s3://" + bucket_, "--index", index_}));
  auto etag =
      s3::Wait<s3::ObjectHead>([&](auto done) { client().HeadObject(bucket_, "big", done); });
  ASSERT_TRUE(etag.ok());
  ASSERT_TRUE(etag->etag.ends_with("-3")) << etag->etag;

  std::string backup = work_.File("backup");
  ExpectOk(Sync("s3://" + bucket_, backup, {"--no-index"}));
  Result ok = Verify("s3://" + bucket_, backup, {"--content"});
  EXPECT_EQ(ok.exit_code, 0) << ok;
  EXPECT_TRUE(Contains(ok.out, "2 files read")) << ok;

  big[6 * kMiB] ^= 0x55;  // one byte of the second part
  WriteFile(backup + "/big", big);
  Result bad = Verify("s3://" + bucket_, backup, {"--content"});
  EXPECT_EQ(bad.exit_code, 1) << bad;
  EXPECT_TRUE(Named(bad, "different", "big")) << bad;
  EXPECT_TRUE(Contains(bad.out, "content differs")) << bad;
}

TEST_F(VerifyCliTest, ManifestFolderIsNeverSyncedNorDeleted) {
  PutTree(client(), bucket_, {{"a", "1"}});
  std::string backup = work_.File("backup");
  ExpectOk(Sync("s3://" + bucket_, backup, {"--delete"}));
  ExpectOk(Sync("s3://" + bucket_, backup, {"--delete"}));  // the first manifest stays
  int manifests = 0;
  for (const auto& e : fs::directory_iterator(backup + "/.gwsync")) {
    manifests += e.path().filename().string().starts_with("manifest");
  }
  EXPECT_EQ(manifests, 3);  // two manifests and manifest-latest (beside the bucket's settings)
  // A restore from the backup does not upload them.
  std::string restored = FreshBucket("restore");
  ExpectOk(Sync(backup, "s3://" + restored));
  EXPECT_EQ(ListKeys("s3://" + restored),
            (std::map<std::string, uint64_t>{{"s3://" + restored + "/a", 1}}));
}

TEST_F(VerifyCliTest, ManifestBucketVerifiesTheBucket) {
  std::string src = work_.File("src");
  WriteTree(src, {{"a", "1"}, {"d/b", "22"}});
  Result up = Sync(src, "s3://" + bucket_ + "/pre", {"--manifest-bucket"});
  ExpectOk(up);
  std::string base = "s3://" + bucket_ + "/pre/.gwsync/";
  EXPECT_TRUE(Contains(up.out, "manifest: " + base + "manifest-")) << up;
  Result latest = Gw({"get", base + "manifest-latest", "-"});
  ExpectOk(latest);
  std::string name = Lines(latest.out).at(0);
  std::string local = work_.File("manifest.jsonl.zst");
  ExpectOk(Gw({"get", base + name, local}));
  std::vector<json> lines = ReadManifest(local);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["destination"], "s3://" + bucket_ + "/pre");
  EXPECT_EQ(lines[1]["key"], "a");
  EXPECT_EQ(lines[2]["etag"], hash::Hex(hash::Md5("22")));

  ExpectOk(Verify(local, "s3://" + bucket_ + "/pre"));  // the bucket's .gwsync/ is not a key
  ExpectOk(Verify(src, "s3://" + bucket_ + "/pre", {"--content"}));
}

TEST_F(VerifyCliTest, WholeGatewayAgainstAFolderOfBuckets) {
  // Two buckets of ours among whatever other tests keep on the gateway.
  std::string b1 = FreshBucket("vevb-one"), b2 = FreshBucket("vevb-two");
  ExpectOk(Gw({"mb", "s3://" + b1}));
  ExpectOk(Gw({"mb", "s3://" + b2}));
  PutTree(client(), b1, {{"x", "one-x"}, {"d/y", "why"}});
  PutTree(client(), b2, {{"z", "zed"}});
  std::string all = work_.File("all");
  Sync("s3://", all);  // others' buckets may fail; ours are checked below
  ASSERT_TRUE(fs::exists(all + "/" + b1 + "/x"));
  ASSERT_TRUE(fs::exists(all + "/" + b2 + "/z"));

  ASSERT_TRUE(fs::remove(all + "/" + b1 + "/x"));
  Result r = Verify("s3://", all);
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_TRUE(Named(r, "missing", b1 + "/x")) << r;
  for (const auto& line : Lines(r.out)) {
    bool ours = Contains(line, b1) || Contains(line, b2);
    EXPECT_TRUE(!ours || line == "missing   " + b1 + "/x") << "unexpected: " << line;
  }
}

TEST_F(VerifyCliTest, DuCountsWhatWasPut) {
  PutTree(client(), bucket_,
          {{"docker/a", std::string(100, 'a')},
           {"docker/b/c", std::string(200, 'b')},
           {"logs/x", std::string(50, 'x')},
           {"readme", std::string(7, 'r')}});
  Result r = Gw({"du", "--json", "s3://" + bucket_});
  ExpectOk(r);
  json j = Report(r);
  EXPECT_EQ(j["objects"], 4);
  EXPECT_EQ(j["bytes"], 357);
  ASSERT_EQ(j["prefixes"].size(), 2u) << r;
  EXPECT_EQ(j["prefixes"][0]["prefix"], "docker/");
  EXPECT_EQ(j["prefixes"][0]["objects"], 2);
  EXPECT_EQ(j["prefixes"][0]["bytes"], 300);
  EXPECT_EQ(j["prefixes"][1]["prefix"], "logs/");
  EXPECT_EQ(j["prefixes"][1]["bytes"], 50);
  EXPECT_EQ(j["top"]["objects"], 1);
  EXPECT_EQ(j["storage_classes"]["STANDARD"]["bytes"], 357);

  Result text = Gw({"du", "-d", "2", "s3://" + bucket_ + "/docker"});
  ExpectOk(text);
  EXPECT_TRUE(Contains(text.out, "s3://" + bucket_ + "/docker/b/")) << text;
  std::string total;
  for (const auto& line : Lines(text.out)) {
    if (line.ends_with("total")) total = line;
  }
  EXPECT_TRUE(Contains(total, " 2 objects")) << text;
  EXPECT_TRUE(Contains(total, "300 B")) << text;
}

}  // namespace
}  // namespace gwsync::e2e
