// size: sync's end-to-end cases over one fixture and one gateway.
// `gwsync sync` end to end: the binary ($GWSYNC_BIN) against the real RGW,
// as an operator runs it for backups, restores and cluster-to-cluster copies.
// Every check is something a user sees: files on disk (bytes, mtimes,
// modes), objects in the bucket, exit codes, the summary and --json report,
// and error messages. Every run gets a scratch HOME, a clean environment and
// a private --index, so nothing leaks in from the developer's machine or
// from other tests.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "e2e/sync_fixture.h"

namespace gwsync::e2e {
namespace {

// A backup tree with the awkward cases: byte-order traps ("a-b" < "a/b"),
// spaces and UTF-8, an empty file, deep nesting, and one file large enough
// for a multipart upload with the flags in kMultipart.
Tree SampleTree() {
  return {{"a-b", "dash"},
          {"a/b", "slash"},
          {"bin/tool.sh", "#!/bin/sh\necho hi\n"},
          {"docs/readme.txt", RandomBytes(3000, 1)},
          {"empty", ""},
          {"deep/1/2/3/4/leaf", "leaf"},
          {"with space/\xc3\xbcnic\xc3\xb6"
           "de+plus",
           "u"},
          {"data/blob.bin", RandomBytes(9 * kMiB + 123, 2)}};
}
const std::vector<std::string> kMultipart = {"--part-size", "5MiB", "--multipart-threshold",
                                             "8MiB"};
std::vector<std::string> With(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// 1. Backup to a bucket that does not exist yet, restore into a new folder:
// the same bytes, mtimes to the nanosecond, and modes.
TEST_F(SyncCliTest, BackupAndRestoreRoundTrip) {
  Tree tree = SampleTree();
  std::string src = work_.File("src"), restored = work_.File("restored");
  WriteTree(src, tree);
  const std::map<std::string, mode_t> modes = {
      {"bin/tool.sh", 0755}, {"docs/readme.txt", 0640}, {"empty", 0600}, {"a/b", 0444}};
  for (const auto& [key, mode] : modes) ASSERT_EQ(chmod((src + "/" + key).c_str(), mode), 0);
  int64_t sec = 1500000000;
  for (const auto& [key, data] : tree) SetMtime(src + "/" + key, sec++, 123456789);

  std::string bucket = FreshBucket("roundtrip");
  ASSERT_FALSE(BucketExists(client(), bucket));
  Result up = Sync(src, "s3://" + bucket + "/backup", kMultipart);
  ExpectOk(up);
  EXPECT_EQ(TextCount(up.out, "upload"), tree.size()) << up;
  ASSERT_FALSE(Lines(up.out).empty()) << up;
  std::string done = Lines(up.out).back();  // "done in 0.42 s"
  EXPECT_TRUE(done.rfind("done in ", 0) == 0 && done.ends_with(" s")) << up;

  // The bucket was created and holds every file under the prefix.
  EXPECT_TRUE(BucketExists(client(), bucket));
  std::map<std::string, uint64_t> want_keys;
  for (const auto& [key, data] : tree) want_keys["s3://" + bucket + "/backup/" + key] = data.size();
  EXPECT_EQ(ListKeys("s3://" + bucket), want_keys);
  EXPECT_TRUE(SameTree(BucketTree(client(), bucket, "backup/"), tree));

  Result down = Sync("s3://" + bucket + "/backup/", restored, kMultipart);
  ExpectOk(down);
  EXPECT_EQ(TextCount(down.out, "download"), tree.size()) << down;
  EXPECT_TRUE(SameTree(ReadTree(restored), tree));
  for (const auto& [key, data] : tree) {
    struct stat a = Stat(src + "/" + key), b = Stat(restored + "/" + key);
    EXPECT_EQ(b.st_mtim.tv_sec, a.st_mtim.tv_sec) << key;
    EXPECT_EQ(b.st_mtim.tv_nsec, a.st_mtim.tv_nsec) << key;
    EXPECT_EQ(b.st_mode & 07777, a.st_mode & 07777) << key;
  }
}

// 2. s3:// is every bucket: one sub-folder per bucket on the way down, one
// bucket per sub-folder (created) on the way up.
TEST_F(SyncCliTest, EveryBucketBothWays) {
  // Down: two buckets of ours among whatever other tests keep on the gateway.
  std::string b1 = NewBucket("evb-one"), b2 = NewBucket("evb-two");
  Tree t1 = {{"x", "one-x"}, {"dir/y", RandomBytes(5000, 3)}};
  Tree t2 = {{"z", RandomBytes(70000, 4)}, {"a/b/c", ""}};
  PutTree(client(), b1, t1);
  PutTree(client(), b2, t2);
  std::string all = work_.File("all");
  // Other tests' buckets come and go while this runs: a failure that is
  // theirs (a bucket removed mid-run, a hostile key) is not ours to judge,
  // so such a run is tried again; a failure naming our buckets fails.
  auto ours = [&](const std::string& text) {
    return text.find(b1) != std::string::npos || text.find(b2) != std::string::npos;
  };
  for (int attempt = 0; attempt < 3; ++attempt) {
    Result r = Sync("s3://", all, {"--json"});
    EXPECT_FALSE(ours(r.err)) << r;
    if (r.exit_code == 0) break;
    ASSERT_EQ(r.exit_code, 3) << r;
    if (!r.out.empty()) break;  // finished, with errors in others' buckets only
  }
  EXPECT_TRUE(SameTree(ReadTree(all + "/" + b1), t1));
  EXPECT_TRUE(SameTree(ReadTree(all + "/" + b2), t2));

  // Up: sub-folders named like buckets that do not exist yet.
  std::string up = work_.File("up");
  std::string n1 = FreshBucket("evb-new-one"), n2 = FreshBucket("evb-new-two");
  Tree u1 = {{"f", "new one"}, {"sub/g", RandomBytes(10000, 5)}};
  Tree u2 = {{"h", ""}, {"i/j/k", "deep"}};
  WriteTree(up + "/" + n1, u1);
  WriteTree(up + "/" + n2, u2);
  fs::create_directories(up + "/" + n2 + "/empty-folder");
  Result r = Sync(up, "s3://", {"--json"});
  ExpectOk(r);
  EXPECT_EQ(JsonCount(Report(r), "upload"), u1.size() + u2.size()) << r;
  EXPECT_TRUE(SameTree(BucketTree(client(), n1), u1));
  EXPECT_TRUE(SameTree(BucketTree(client(), n2), u2));

  // A sub-folder that cannot be a bucket is named and skipped; the rest is
  // in sync already.
  WriteTree(up + "/not a bucket", {{"f", "x"}});
  Result bad = Sync(up, "s3://");
  EXPECT_EQ(bad.exit_code, 3) << bad;
  EXPECT_TRUE(Contains(bad.err, "gwsync: " + up + "/not a bucket: not a valid bucket name")) << bad;
  EXPECT_EQ(TextCount(bad.out, "upload"), 0u) << bad;
  EXPECT_EQ(TextCount(bad.out, "skip: unchanged"), u1.size() + u2.size()) << bad;
}

// 3. Two clusters named in a remotes file, the second with another user's
// keys (and another gateway when there are several): no local staging, the
// same bytes, nothing copied again, and the attributes travel.
TEST_F(SyncCliTest, ClusterToClusterWithRemotes) {
  Tree tree = SampleTree();
  std::string src = work_.File("src");
  WriteTree(src, tree);
  SetMtime(src + "/docs/readme.txt", 1234567890, 5);
  ASSERT_EQ(chmod((src + "/docs/readme.txt").c_str(), 0600), 0);
  ExpectOk(Sync(src, "s3://" + bucket_, kMultipart));

  std::string remotes = work_.File("remotes.conf");
  WriteFile(remotes, "# two clusters\n[old]\nendpoint = " + endpoint_ +
                         "\naccess_key = " + access_key_ + "\nsecret_key = " + secret_key_ +
                         "\n\n[new]\nendpoint=" + last_endpoint_ + "\nendpoint = " + endpoint_ +
                         "\naccess_key=" + other_access_ + "\nsecret_key=" + other_secret_ + "\n");
  std::string dst = FreshOtherBucket("c2c-new");
  // No endpoint and no keys but the remotes file's.
  auto c2c = [&](const std::string& from, const std::string& to) {
    return Run(
        With({"sync", from, to, "--remotes", remotes, "--index", index_, "--json"}, kMultipart));
  };
  Result first = c2c("old:" + bucket_, "new:" + dst);
  ExpectOk(first);
  EXPECT_EQ(JsonCount(Report(first), "copy"), tree.size()) << first;
  EXPECT_TRUE(SameTree(BucketTree(*other_client_, dst), tree));
  // "new" lists two gateways: both served its requests.
  std::set<std::string> used;
  json first_report = Report(first);
  for (const auto& e : first_report["endpoints"]) {
    if (e["remote"] == "new" && e["requests"].get<uint64_t>() > 0) used.insert(e["endpoint"]);
  }
  // (One gateway only: the same URL twice, two slots of one gateway.)
  EXPECT_EQ(used.size(), last_endpoint_ == endpoint_ ? 1u : 2u) << first_report["endpoints"].dump();
  // The second user's bucket, not the first's.
  auto buckets =
      s3::Wait<std::vector<s3::BucketInfo>>([&](auto done) { other_client_->ListBuckets(done); });
  ASSERT_TRUE(buckets.ok()) << buckets.status().ToString();
  EXPECT_TRUE(std::any_of(buckets->begin(), buckets->end(),
                          [&](const s3::BucketInfo& b) { return b.name == dst; }));

  Result again = c2c("old:" + bucket_, "new:" + dst);
  ExpectOk(again);
  EXPECT_EQ(JsonCount(Report(again), "copy"), 0u) << again;

  // Restored from the new cluster, the files have their original times.
  std::string restored = work_.File("restored");
  Result down = c2c("new:" + dst, restored);
  ExpectOk(down);
  EXPECT_TRUE(SameTree(ReadTree(restored), tree));
  struct stat st = Stat(restored + "/docs/readme.txt");
  EXPECT_EQ(st.st_mtim.tv_sec, 1234567890);
  EXPECT_EQ(st.st_mtim.tv_nsec, 5);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

// 4. --json is one valid JSON document a script can rely on; per-key
// failures are in its errors array (and on stderr); no secret ever shows.
TEST_F(SyncCliTest, JsonReport) {
  Tree tree = {{"a", RandomBytes(1000, 6)}, {"b/c", RandomBytes(2345, 7)}, {"d", ""}};
  std::string src = work_.File("src");
  WriteTree(src, tree);
  Result r = Sync(src, "s3://" + bucket_ + "/p", {"--json"});
  ExpectOk(r);
  json j = Report(r);
  EXPECT_EQ(JsonCount(j, "upload"), 3u) << r;
  EXPECT_EQ(j["actions"]["upload"]["bytes"], 1000u + 2345u) << r;
  ASSERT_TRUE(j["errors"].is_array()) << r;
  EXPECT_TRUE(j["errors"].empty()) << r;
  ASSERT_TRUE(j["seconds"].is_number()) << r;
  EXPECT_GE(j["seconds"].get<double>(), 0.0);
  EXPECT_LT(j["seconds"].get<double>(), 30.0);
  EXPECT_EQ(j["source"], src);
  EXPECT_EQ(j["destination"], "s3://" + bucket_ + "/p");
  EXPECT_EQ(j["dry_run"], false);
  EXPECT_EQ(j["source_objects"], 3u);
  EXPECT_EQ(j["destination_objects"], 0u);

  // Keys that cannot both be files: "clash" and "clash/inner". Both land,
  // one of them in the key store, and the report counts it.
  Put(client(), bucket_, "clash", "file");
  Put(client(), bucket_, "clash/inner", "under it");
  Result both = Sync("s3://" + bucket_, work_.File("down"), {"--json"});
  ExpectOk(both);
  json e = Report(both);
  ASSERT_TRUE(e["errors"].is_array()) << both;
  EXPECT_TRUE(e["errors"].empty()) << both;
  EXPECT_EQ(JsonCount(e, "download"), 5u) << both;  // p/a, p/b/c, p/d and the two
  EXPECT_EQ(e["key_store_count"], 1u) << both;

  // Secrets stay out of every message, failures included (Run checks each
  // run; these are the runs most tempted to print them).
  Result flags = Run({"--endpoint", endpoint_, "--access-key", access_key_, "--secret-key",
                      secret_key_, "sync", src, "s3://" + bucket_ + "/p", "--index", index_});
  ExpectOk(flags);
  Result wrong =
      Run({"--endpoint", endpoint_, "sync", src, "s3://" + bucket_ + "/q", "--index", index_},
          {{"AWS_ACCESS_KEY_ID", access_key_}, {"AWS_SECRET_ACCESS_KEY", kWrongSecret}});
  // The first request is a HEAD, whose 403 has no body to say why.
  std::string denied = ExpectOneErrorLine(wrong);
  EXPECT_TRUE(Contains(denied, bucket_));
  EXPECT_TRUE(Contains(denied, "HTTP 403"));
}

// 5. --dry-run says what it would do and does nothing, both ways, and does
// not even create the destination.
TEST_F(SyncCliTest, DryRunChangesNothing) {
  PutTree(client(), bucket_, {{"same", "same"}, {"changed", "old"}, {"extra/old", "3"}});
  std::string src = work_.File("src");
  WriteTree(src, {{"same", "same"}, {"changed", "new, longer"}, {"new", "fresh"}});
  Tree bucket_before = BucketTree(client(), bucket_);

  Result up = Sync(src, "s3://" + bucket_, {"--dry-run", "--delete"});
  ExpectOk(up);
  EXPECT_TRUE(HasLineEndingWith(up.out, "(dry run) upload changed")) << up;
  EXPECT_TRUE(HasLineEndingWith(up.out, "(dry run) upload new")) << up;
  EXPECT_TRUE(HasLineEndingWith(up.out, "(dry run) delete extra/old")) << up;
  EXPECT_FALSE(Contains(up.out, "(dry run) upload same")) << up;
  EXPECT_TRUE(HasLineEndingWith(up.out, "(dry run: nothing changed)")) << up;
  EXPECT_EQ(BucketTree(client(), bucket_), bucket_before);

  // Down: the local folder (contents and times) stays as it was.
  std::string dst = work_.File("dst");
  WriteTree(dst, {{"same", "same"}, {"local-only", "mine"}, {"changed", "x"}});
  for (const auto& f : {"same", "local-only", "changed"}) SetMtime(dst + "/" + f, 1000000000, 0);
  Tree local_before = ReadTree(dst);
  Result down = Sync("s3://" + bucket_, dst, {"-n", "--delete", "--json"});
  ExpectOk(down);
  json j = Report(down);
  EXPECT_EQ(j["dry_run"], true);
  EXPECT_EQ(JsonCount(j, "download"), 2u) << down;  // "changed", "extra/old"
  EXPECT_EQ(JsonCount(j, "delete"), 1u) << down;    // "local-only"
  EXPECT_TRUE(SameTree(ReadTree(dst), local_before));
  for (const auto& f : {"same", "local-only", "changed"}) {
    EXPECT_EQ(Stat(dst + "/" + f).st_mtim.tv_sec, 1000000000) << f;
  }

  // Nothing is created either: not the bucket, not the folder.
  std::string fresh = FreshBucket("dry-fresh");
  ExpectOk(Sync(src, "s3://" + fresh, {"--dry-run"}));
  EXPECT_FALSE(BucketExists(client(), fresh));
  ExpectOk(Sync("s3://" + bucket_, work_.File("never"), {"--dry-run"}));
  EXPECT_FALSE(fs::exists(work_.File("never")));
}

// 6. --delete removes what the source lacks, in both directions; --exclude
// keeps matching files out and never deletes them at the destination.
TEST_F(SyncCliTest, DeleteAndExclude) {
  std::string src = work_.File("src");
  WriteTree(src, {{"a", "a"}, {"sub/b", "b"}, {"local.tmp", "t"}, {"sub/deep.tmp", "t"}});
  PutTree(client(), bucket_, {{"stale", "s"}, {"sub/stale", "s"}, {"keep.tmp", "remote tmp"}});

  // Without --delete the extras stay.
  Result keep = Sync(src, "s3://" + bucket_, {"--exclude", "*.tmp", "--json"});
  ExpectOk(keep);
  EXPECT_EQ(JsonCount(Report(keep), "skip: only at destination"), 2u) << keep;
  EXPECT_EQ(BucketTree(client(), bucket_), (Tree{{"a", "a"},
                                                 {"keep.tmp", "remote tmp"},
                                                 {"stale", "s"},
                                                 {"sub/b", "b"},
                                                 {"sub/stale", "s"}}));

  Result up = Sync(src, "s3://" + bucket_, {"--delete", "--exclude", "*.tmp"});
  ExpectOk(up);
  EXPECT_EQ(TextCount(up.out, "delete"), 2u) << up;
  EXPECT_EQ(BucketTree(client(), bucket_),
            (Tree{{"a", "a"}, {"keep.tmp", "remote tmp"}, {"sub/b", "b"}}));

  // Down, into a folder with its own extras and excluded files.
  std::string dst = work_.File("dst");
  WriteTree(dst, {{"mine", "m"}, {"sub/mine", "m"}, {"notes.tmp", "n"}, {"sub/x.tmp", "x"}});
  Result down = Sync("s3://" + bucket_, dst, {"--delete", "--exclude", "*.tmp"});
  ExpectOk(down);
  EXPECT_EQ(TextCount(down.out, "delete"), 2u) << down;
  EXPECT_EQ(TextCount(down.out, "download"), 2u) << down;
  EXPECT_TRUE(SameTree(ReadTree(dst),
                       {{"a", "a"}, {"sub/b", "b"}, {"notes.tmp", "n"}, {"sub/x.tmp", "x"}}));

  // And --delete without --exclude does remove them.
  ExpectOk(Sync("s3://" + bucket_, dst, {"--delete"}));
  EXPECT_TRUE(SameTree(ReadTree(dst), {{"a", "a"}, {"sub/b", "b"}, {"keep.tmp", "remote tmp"}}));
}

// 7. The nightly run over an unchanged tree moves nothing and says so; one
// changed file moves alone.
TEST_F(SyncCliTest, IncrementalSecondRunMovesNothing) {
  Tree tree = SampleTree();
  tree.erase("data/blob.bin");  // size is not the point here
  std::string src = work_.File("src"), dst = work_.File("dst");
  WriteTree(src, tree);
  ExpectOk(Sync(src, "s3://" + bucket_));
  ExpectOk(Sync("s3://" + bucket_, dst));

  Result up = Sync(src, "s3://" + bucket_);
  ExpectOk(up);
  EXPECT_EQ(TextCount(up.out, "upload"), 0u) << up;
  EXPECT_EQ(TextCount(up.out, "skip: unchanged"), tree.size()) << up;
  Result down = Sync("s3://" + bucket_, dst, {"--json"});
  ExpectOk(down);
  json j = Report(down);
  EXPECT_EQ(JsonCount(j, "download"), 0u) << down;
  EXPECT_EQ(JsonCount(j, "skip: unchanged"), tree.size()) << down;
  EXPECT_EQ(j["actions"].size(), 1u) << down;

  WriteFile(src + "/docs/readme.txt", "edited");
  Result one = Sync(src, "s3://" + bucket_, {"--json"});
  ExpectOk(one);
  EXPECT_EQ(JsonCount(Report(one), "upload"), 1u) << one;
  EXPECT_EQ(JsonCount(Report(one), "skip: unchanged"), tree.size() - 1) << one;
  Result back = Sync("s3://" + bucket_, dst, {"--json"});
  ExpectOk(back);
  EXPECT_EQ(JsonCount(Report(back), "download"), 1u) << back;
  EXPECT_EQ(ReadFile(dst + "/docs/readme.txt"), "edited");
}

// Starts gwsync without waiting, its output going to files.
pid_t Spawn(const std::string& bin, const std::vector<std::string>& args, const Env& env,
            const std::string& out, const std::string& err) {
  std::vector<std::string> argv_s{bin}, env_s;
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  auto c_strings = [](std::vector<std::string>& v) {
    std::vector<char*> p;
    for (auto& s : v) p.push_back(s.data());
    p.push_back(nullptr);
    return p;
  };
  std::vector<char*> argv = c_strings(argv_s), envp = c_strings(env_s);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0) << "cannot run " << bin;
  return rc == 0 ? pid : -1;
}

// True once a file under its real name (not a temporary one) is in `root`.
bool HasRealFile(const std::string& root) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && !IsTempName(it->path().filename().string())) return true;
  }
  return false;
}

// 8. A restore killed mid-way (SIGKILL: no cleanup at all) never leaves a
// partial file under a real name, and running it again completes it.
TEST_F(SyncCliTest, KilledRestoreLeavesNoPartialFileAndResumes) {
  Tree tree;
  tree["big-1.bin"] = RandomBytes(20 * kMiB, 10);
  tree["big-2.bin"] = RandomBytes(20 * kMiB + 777, 11);
  for (int i = 0; i < 28; ++i) {
    tree["small/" + std::to_string(100 + i)] = RandomBytes(20000 + 9000 * i, 20 + i);
  }
  std::string src = work_.File("src"), dst = work_.File("dst");
  WriteTree(src, tree);
  ExpectOk(Sync(src, "s3://" + bucket_, kMultipart));

  Env env = Creds();
  env["HOME"] = home_.path();
  env["PATH"] = "/usr/bin:/bin";
  std::vector<std::string> args = With(
      {"--endpoint", endpoint_, "sync", "s3://" + bucket_, dst, "--index", index_}, kMultipart);
  std::string out = work_.File("killed.out"), err = work_.File("killed.err");
  auto start = std::chrono::steady_clock::now();
  pid_t pid = Spawn(bin_, args, env, out, err);
  ASSERT_GT(pid, 0);
  int status = 0;
  bool exited = false;
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(300)) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    if (HasRealFile(dst)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!exited) {
    kill(pid, SIGKILL);
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
  }
  ExpectNoSecrets("the killed sync", ReadFile(out) + ReadFile(err));
  bool interrupted = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  std::vector<std::string> temps = TempFiles(dst);
  Tree after_kill = Without(ReadTree(dst), temps);
  RecordProperty("interrupted", interrupted ? "yes" : "no (it finished first)");
  RecordProperty("files_after_kill", std::to_string(after_kill.size()));
  RecordProperty("temp_files_after_kill", std::to_string(temps.size()));
  std::printf(
      "killed after %.0f ms: %s; %zu of %zu files in place, %zu temporary files\n",
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(),
      interrupted ? "interrupted" : "had finished", after_kill.size(), tree.size(), temps.size());
  // Whatever is under a real name is whole.
  for (const auto& [key, data] : after_kill) {
    ASSERT_TRUE(tree.count(key)) << "unexpected file " << key;
    EXPECT_TRUE(data == tree[key])
        << key << " is partial: " << data.size() << " bytes of " << tree[key].size();
  }

  // The killed run's temporary files are stale once nothing has touched
  // them for two seconds (fileio::RemoveIfStale); the rerun removes them.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  Result rerun = Sync("s3://" + bucket_, dst, With({"--json"}, kMultipart));
  ExpectOk(rerun);
  json j = Report(rerun);
  EXPECT_EQ(JsonCount(j, "download") + JsonCount(j, "skip: unchanged") +
                JsonCount(j, "skip: same content"),
            tree.size())
      << rerun;
  std::vector<std::string> left = TempFiles(dst);
  EXPECT_TRUE(SameTree(Without(ReadTree(dst), left), tree));
  EXPECT_TRUE(left.empty()) << left.size() << " temporary files left, e.g. " << left.front();

  // And a third run finds nothing to do.
  Result third = Sync("s3://" + bucket_, dst, With({"--json"}, kMultipart));
  ExpectOk(third);
  EXPECT_EQ(JsonCount(Report(third), "skip: unchanged"), tree.size()) << third;
}

// 9. Backups made by other tools restore with their times: s3cmd's
// x-amz-meta-s3cmd-attrs and rclone's x-amz-meta-mtime.
TEST_F(SyncCliTest, RestoresTimesOfS3cmdAndRcloneBackups) {
  std::string src = work_.File("src");
  Tree files = {{"one.txt", "one"}, {"two.bin", RandomBytes(4096, 30)}, {"three", ""}};
  WriteTree(src, files);
  ASSERT_EQ(chmod((src + "/two.bin").c_str(), 0600), 0);
  for (const auto& [name, data] : files) SetMtime(src + "/" + name, 1577923200, 0);  // 2020-01-02

  std::string cfg = work_.File("s3cfg");
  WriteFile(cfg, "[default]\naccess_key = " + access_key_ + "\nsecret_key = " + secret_key_ +
                     "\nhost_base = " + Host() + "\nhost_bucket = " + Host() +
                     "\nuse_https = False\n");
  std::vector<std::string> put = {"-c", cfg, "--no-progress", "put", "--preserve"};
  for (const auto& [name, data] : files) put.push_back(src + "/" + name);
  put.push_back("s3://" + bucket_ + "/s3cmd/");
  Result s3cmd =
      e2e::Run("/usr/bin/s3cmd", put,
               {{"HOME", home_.path()}, {"PATH", "/usr/bin:/bin"}, {"LANG", "C.UTF-8"}}, "");
  ASSERT_EQ(s3cmd.exit_code, 0) << s3cmd;
  // rclone's convention, as rclone writes it.
  Put(client(), bucket_, "rclone/file", "from rclone", {{"mtime", "1577934245.5"}});

  std::string dst = work_.File("dst");
  ExpectOk(Sync("s3://" + bucket_, dst));
  EXPECT_TRUE(SameTree(ReadTree(dst + "/s3cmd"), files));
  for (const auto& [name, data] : files) {
    struct stat st = Stat(dst + "/s3cmd/" + name);
    EXPECT_EQ(st.st_mtim.tv_sec, 1577923200) << name;
    EXPECT_EQ(st.st_mtim.tv_nsec, 0) << name;
  }
  EXPECT_EQ(Stat(dst + "/s3cmd/two.bin").st_mode & 07777, 0600u);
  struct stat st = Stat(dst + "/rclone/file");
  EXPECT_EQ(st.st_mtim.tv_sec, 1577934245);
  EXPECT_EQ(st.st_mtim.tv_nsec, 500000000);
  EXPECT_EQ(ReadFile(dst + "/rclone/file"), "from rclone");
}

// 10. Mistakes get one line naming the problem and the right exit code,
// quickly.
TEST_F(SyncCliTest, BadInput) {
  std::string a = work_.File("a");
  fs::create_directories(a);
  Result local = Sync(a, work_.File("b"));
  EXPECT_EQ(local.exit_code, 2) << local;
  EXPECT_TRUE(Contains(ExpectOneErrorLine(local), "one side of a sync must be a bucket"));
  EXPECT_FALSE(fs::exists(work_.File("b")));

  std::string missing = UniqueBucketName("no-such");
  Result nobucket = Sync("s3://" + missing, work_.File("c"));
  EXPECT_NE(nobucket.exit_code, 0) << nobucket;
  std::string line = ExpectOneErrorLine(nobucket);
  EXPECT_TRUE(Contains(line, "'" + missing + "'"));
  EXPECT_TRUE(Contains(line, "does not exist"));

  Result nofolder = Sync(work_.File("no-such-folder"), "s3://" + bucket_);
  EXPECT_NE(nofolder.exit_code, 0) << nofolder;
  EXPECT_TRUE(Contains(ExpectOneErrorLine(nofolder), "no-such-folder"));

  Result unreachable = Run(
      {"--endpoint", kUnreachable, "sync", "s3://" + bucket_, work_.File("d"), "--index", index_},
      Creds());
  EXPECT_NE(unreachable.exit_code, 0) << unreachable;
  EXPECT_TRUE(Contains(ExpectOneErrorLine(unreachable), "cannot reach the gateway"));
  EXPECT_LT(unreachable.seconds, 5.0) << unreachable;

  Result noremotes =
      Sync("s3://" + bucket_, work_.File("e"), {"--remotes", work_.File("no-such.conf")});
  EXPECT_NE(noremotes.exit_code, 0) << noremotes;
  EXPECT_TRUE(Contains(ExpectOneErrorLine(noremotes), "no-such.conf"));

  Result mixed = Sync("s3://", "s3://" + bucket_);
  EXPECT_EQ(mixed.exit_code, 2) << mixed;
  EXPECT_TRUE(Contains(ExpectOneErrorLine(mixed), "every-bucket"));
}

// Objects that carry no mode (made by most tools) are restored with the
// umask's mode: never world-writable. Five runs of 600 files: the umask was
// once read by setting it to 0 and back, which raced between the threads
// creating files (fileio::Umask now reads it once from /proc).
TEST_F(SyncCliTest, FilesWithoutModeFollowTheUmask) {
  for (int i = 0; i < 600; ++i) {
    Put(client(), bucket_, "d" + std::to_string(i % 50) + "/f" + std::to_string(i),
        std::string(i % 7, 'x'));
  }
  for (int run = 0; run < 5; ++run) {
    std::string dst = work_.File("dst" + std::to_string(run));
    ExpectOk(Sync("s3://" + bucket_, dst, {"--no-index"}));
    for (const auto& e : fs::recursive_directory_iterator(dst)) {
      EXPECT_EQ(Stat(e.path()).st_mode & 0022, 0u) << e.path() << " is group/world-writable";
    }
  }
}

}  // namespace
}  // namespace gwsync::e2e
