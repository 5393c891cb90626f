// The index remembers what was synced across runs, and treats anything it
// cannot read as never synced.
#include "index/index.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "rocksdb/db.h"

namespace gwsync::index {
namespace {

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gwsync-index-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class IndexTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    index_.reset();
    auto opened = Index::Open(path_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    index_ = std::move(opened).value();
  }
  // Which of `keys` under root "/r" the index has.
  std::vector<std::string> Present(const std::vector<std::string>& keys) {
    std::vector<std::string> out;
    for (const auto& k : keys) {
      auto got = index_->GetLocal("/r", k);
      EXPECT_TRUE(got.ok());
      if (got.ok() && got->has_value()) out.push_back(k);
    }
    return out;
  }

  ScratchDir dir_;
  std::string path_ = dir_.path() + "/nested/folders/index";
  std::unique_ptr<Index> index_;
};

LocalRecord SampleLocal() {
  LocalRecord r;
  r.size = 5'000'000'000ULL;
  r.mtime_ns = 1'700'000'000'123'456'789LL;
  r.inode = 0xfedcba9876543210ULL;
  r.mode = 0644;
  r.md5 = "d41d8cd98f00b204e9800998ecf8427e";
  r.etag = "\"d41d8cd98f00b204e9800998ecf8427e-3\"";
  r.xxh3 = "0123456789abcdef0123456789abcdef";
  return r;
}

TEST_F(IndexTest, LocalRoundTrip) {
  LocalRecord r = SampleLocal();
  ASSERT_TRUE(index_->PutLocal("/backup", "blobs/sha256/ab/data", r).ok());
  auto got = index_->GetLocal("/backup", "blobs/sha256/ab/data");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  const LocalRecord& g = **got;
  EXPECT_EQ(g.size, r.size);
  EXPECT_EQ(g.mtime_ns, r.mtime_ns);
  EXPECT_EQ(g.inode, r.inode);
  EXPECT_EQ(g.mode, r.mode);
  EXPECT_FALSE(g.unverified);
  EXPECT_EQ(g.md5, r.md5);
  EXPECT_EQ(g.etag, r.etag);
  EXPECT_EQ(g.xxh3, r.xxh3);
}

TEST_F(IndexTest, LocalNegativeMtimeAndEmptyStrings) {
  LocalRecord r;
  r.mtime_ns = -1'000'000'001;  // before 1970
  ASSERT_TRUE(index_->PutLocal("/r", "k", r).ok());
  auto got = index_->GetLocal("/r", "k");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->mtime_ns, -1'000'000'001);
  EXPECT_EQ((*got)->size, 0u);
  EXPECT_TRUE((*got)->etag.empty());
}

TEST_F(IndexTest, LocalOverwriteAndDelete) {
  LocalRecord r = SampleLocal();
  ASSERT_TRUE(index_->PutLocal("/r", "k", r).ok());
  r.size = 1;
  ASSERT_TRUE(index_->PutLocal("/r", "k", r).ok());
  auto got = index_->GetLocal("/r", "k");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->size, 1u);
  ASSERT_TRUE(index_->DeleteLocal("/r", "k").ok());
  got = index_->GetLocal("/r", "k");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  EXPECT_TRUE(index_->DeleteLocal("/r", "never-there").ok());
}

// A burst of commits is one write: nothing of it lands before CommitBatch,
// all of it after, and another thread's writes meanwhile are not held back.
TEST_F(IndexTest, BatchLandsWhole) {
  ASSERT_TRUE(index_->PutLocal("/r", "gone", SampleLocal()).ok());
  index_->BeginBatch();
  ASSERT_TRUE(index_->PutLocal("/r", "a", SampleLocal()).ok());
  ASSERT_TRUE(index_->PutLocal("/r", "b", SampleLocal()).ok());
  ASSERT_TRUE(index_->DeleteLocal("/r", "gone").ok());
  std::thread other([&] { ASSERT_TRUE(index_->PutLocal("/r", "c", SampleLocal()).ok()); });
  other.join();
  EXPECT_EQ(Present({"a", "b", "c", "gone"}), (std::vector<std::string>{"c", "gone"}));
  ASSERT_TRUE(index_->CommitBatch().ok());
  EXPECT_EQ(Present({"a", "b", "c", "gone"}), (std::vector<std::string>{"a", "b", "c"}));
  // After the commit, writes go straight in again.
  ASSERT_TRUE(index_->PutLocal("/r", "d", SampleLocal()).ok());
  EXPECT_EQ(Present({"d"}), (std::vector<std::string>{"d"}));
}

TEST_F(IndexTest, RemoteRoundTrip) {
  RemoteRecord r;
  r.size = 71;
  r.etag = "\"abc\"";
  r.source_etag = "\"def-2\"";
  ASSERT_TRUE(index_->PutRemote("http://127.0.0.1:8000", "registry", "a/b", r).ok());
  auto got = index_->GetRemote("http://127.0.0.1:8000", "registry", "a/b");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->size, 71u);
  EXPECT_EQ((*got)->etag, "\"abc\"");
  EXPECT_EQ((*got)->source_etag, "\"def-2\"");

  // Each component counts: another endpoint, bucket or key is another object.
  for (auto [e, b, k] : {std::tuple{"http://127.0.0.1:8001", "registry", "a/b"},
                         std::tuple{"http://127.0.0.1:8000", "registry2", "a/b"},
                         std::tuple{"http://127.0.0.1:8000", "registry", "a/b/"},
                         std::tuple{"http://127.0.0.1:8000", "registrya", "/b"}}) {
    auto other = index_->GetRemote(e, b, k);
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(other->has_value()) << e << " " << b << " " << k;
  }
  ASSERT_TRUE(index_->DeleteRemote("http://127.0.0.1:8000", "registry", "a/b").ok());
  got = index_->GetRemote("http://127.0.0.1:8000", "registry", "a/b");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_F(IndexTest, UploadRoundTrip) {
  UploadRecord r;
  r.upload_id = "2~abcDEF";
  r.part_size = 64 << 20;
  r.file_size = 200 << 20;
  r.file_mtime_ns = 1234567890123456789LL;
  r.part_md5s = {{1, "aa"}, {2, "bb"}, {10000, "cc"}};
  r.file_dev = 2049;
  r.file_inode = 1234567;
  r.file_ctime_ns = 1234567890987654321LL;
  ASSERT_TRUE(index_->PutUpload("e", "b", "big.tar", r).ok());
  auto got = index_->GetUpload("e", "b", "big.tar");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->upload_id, r.upload_id);
  EXPECT_EQ((*got)->part_size, r.part_size);
  EXPECT_EQ((*got)->file_size, r.file_size);
  EXPECT_EQ((*got)->file_mtime_ns, r.file_mtime_ns);
  EXPECT_EQ((*got)->part_md5s, r.part_md5s);
  EXPECT_EQ((*got)->file_dev, r.file_dev);
  EXPECT_EQ((*got)->file_inode, r.file_inode);
  EXPECT_EQ((*got)->file_ctime_ns, r.file_ctime_ns);

  UploadRecord empty;
  ASSERT_TRUE(index_->PutUpload("e", "b", "none-done", empty).ok());
  got = index_->GetUpload("e", "b", "none-done");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_TRUE((*got)->part_md5s.empty());

  ASSERT_TRUE(index_->DeleteUpload("e", "b", "big.tar").ok());
  got = index_->GetUpload("e", "b", "big.tar");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

// The upload records of one bucket under a prefix, in key order, with the
// time each was saved; other buckets' and other prefixes' are not listed.
TEST_F(IndexTest, ForEachUploadListsABucketsPrefixInOrder) {
  UploadRecord r;
  r.upload_id = "u";
  r.saved_at = 1700000000;
  for (const char* key : {"db/b", "db/a", "dc/x", "d"}) {
    ASSERT_TRUE(index_->PutUpload("e", "b", key, r).ok());
  }
  ASSERT_TRUE(index_->PutUpload("e", "b2", "db/c", r).ok());
  ASSERT_TRUE(index_->PutUpload("e2", "b", "db/d", r).ok());
  std::vector<std::string> keys;
  ASSERT_TRUE(index_
                  ->ForEachUpload("e", "b", "db/",
                                  [&](const std::string& key, const UploadRecord& got) {
                                    EXPECT_EQ(got.saved_at, 1700000000);
                                    keys.push_back(key);
                                    return true;
                                  })
                  .ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"db/a", "db/b"}));
  keys.clear();
  ASSERT_TRUE(index_
                  ->ForEachUpload("e", "b", "",
                                  [&](const std::string& key, const UploadRecord&) {
                                    keys.push_back(key);
                                    return keys.size() < 3;
                                  })
                  .ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"d", "db/a", "db/b"}));
}

TEST_F(IndexTest, FamiliesAreSeparate) {
  ASSERT_TRUE(index_->PutRemote("e", "b", "k", RemoteRecord{}).ok());
  auto upload = index_->GetUpload("e", "b", "k");
  ASSERT_TRUE(upload.ok());
  EXPECT_FALSE(upload->has_value());
}

TEST_F(IndexTest, AbsentKeys) {
  auto local = index_->GetLocal("/nowhere", "x");
  ASSERT_TRUE(local.ok());
  EXPECT_FALSE(local->has_value());
  auto remote = index_->GetRemote("e", "b", "x");
  ASSERT_TRUE(remote.ok());
  EXPECT_FALSE(remote->has_value());
  auto upload = index_->GetUpload("e", "b", "x");
  ASSERT_TRUE(upload.ok());
  EXPECT_FALSE(upload->has_value());
}

// A copy whose content was never proven is remembered as such, so the next
// run does not take it as in sync.
TEST_F(IndexTest, UnverifiedRoundTrips) {
  LocalRecord l = SampleLocal();
  l.unverified = true;
  ASSERT_TRUE(index_->PutLocal("/r", "k", l).ok());
  RemoteRecord r;
  r.etag = "e";
  r.unverified = true;
  ASSERT_TRUE(index_->PutRemote("e", "b", "k", r).ok());
  Reopen();
  auto local = index_->GetLocal("/r", "k");
  ASSERT_TRUE(local.ok() && local->has_value());
  EXPECT_TRUE((*local)->unverified);
  EXPECT_EQ((*local)->etag, l.etag);
  auto remote = index_->GetRemote("e", "b", "k");
  ASSERT_TRUE(remote.ok() && remote->has_value());
  EXPECT_TRUE((*remote)->unverified);
}

TEST_F(IndexTest, ReopenPersists) {
  LocalRecord r = SampleLocal();
  ASSERT_TRUE(index_->PutLocal("/r", "k", r).ok());
  RemoteRecord rr;
  rr.etag = "x";
  ASSERT_TRUE(index_->PutRemote("e", "b", "k", rr).ok());
  UploadRecord ur;
  ur.upload_id = "u";
  ASSERT_TRUE(index_->PutUpload("e", "b", "k", ur).ok());
  Reopen();
  auto local = index_->GetLocal("/r", "k");
  ASSERT_TRUE(local.ok() && local->has_value());
  EXPECT_EQ((*local)->md5, r.md5);
  auto remote = index_->GetRemote("e", "b", "k");
  ASSERT_TRUE(remote.ok() && remote->has_value());
  EXPECT_EQ((*remote)->etag, "x");
  auto upload = index_->GetUpload("e", "b", "k");
  ASSERT_TRUE(upload.ok() && upload->has_value());
  EXPECT_EQ((*upload)->upload_id, "u");
}

TEST_F(IndexTest, SecondOpenWhileInUseFails) {
  auto second = Index::Open(path_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find(path_), std::string::npos);
  EXPECT_NE(second.status().message().find("in use"), std::string::npos);
  // The first handle is unaffected.
  EXPECT_TRUE(index_->PutLocal("/r", "k", LocalRecord{}).ok());
}

TEST(IndexPathTest, DefaultPathFollowsXdgCacheHome) {
  std::string saved_xdg = getenv("XDG_CACHE_HOME") ? getenv("XDG_CACHE_HOME") : "";
  bool had_xdg = getenv("XDG_CACHE_HOME") != nullptr;
  setenv("XDG_CACHE_HOME", "/var/cache/me", 1);
  EXPECT_EQ(Index::DefaultPath(), "/var/cache/me/gwsync/index");
  unsetenv("XDG_CACHE_HOME");
  std::string home = getenv("HOME") ? getenv("HOME") : "";
  if (!home.empty()) {
    EXPECT_EQ(Index::DefaultPath(), home + "/.cache/gwsync/index");
  }
  if (had_xdg) setenv("XDG_CACHE_HOME", saved_xdg.c_str(), 1);
}

// Writes raw bytes under a record's key, as a crash, a disk fault or another
// gwsync version could leave them.
void Corrupt(const std::string& path, const std::string& family, const std::string& key,
             const std::string& value) {
  rocksdb::Options options;
  options.create_missing_column_families = true;  // "runs": an earlier gwsync's family
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name : {"default", "local", "remote", "uploads", "runs"}) {
    families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, path, families, &handles, &db).ok());
  for (size_t i = 0; i < families.size(); ++i) {
    if (families[i].name == family) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[i], key, value).ok());
    }
  }
  for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  ASSERT_TRUE(db->Close().ok());
  delete db;
}

TEST_F(IndexTest, UnreadableValuesAreAbsent) {
  const std::string k0 = std::string("/r") + '\0';
  const std::string obj = std::string("e") + '\0' + "b" + '\0';
  LocalRecord good;
  good.size = 9;
  ASSERT_TRUE(index_->PutLocal("/r", "good", good).ok());
  index_.reset();
  Corrupt(path_, "local", k0 + "empty", "");
  Corrupt(path_, "local", k0 + "version", std::string("\x7f", 1) + std::string(60, '\0'));
  Corrupt(path_, "local", k0 + "short", std::string("\x01\x05", 2));
  Corrupt(path_, "local", k0 + "trailing", std::string(1, '\x01') + std::string(36, '\0') + "x");
  Corrupt(path_, "remote", obj + "k", std::string("\x01\xff\xff\xff\xff\xff", 6));
  // A string length far beyond the value, and a part count far beyond it.
  Corrupt(path_, "uploads", obj + "k", std::string("\x01\xff\xff\xff\xff\x0f", 6));
  Corrupt(path_, "uploads", obj + "parts",
          std::string(1, '\x01') + std::string(1, '\0') + std::string(24, '\0') +
              std::string("\xff\xff\xff\xff\x0f", 5));
  Reopen();

  for (const char* key : {"empty", "version", "short", "trailing"}) {
    auto got = index_->GetLocal("/r", key);
    ASSERT_TRUE(got.ok()) << key;
    EXPECT_FALSE(got->has_value()) << key;
  }
  auto remote = index_->GetRemote("e", "b", "k");
  ASSERT_TRUE(remote.ok());
  EXPECT_FALSE(remote->has_value());
  for (const char* key : {"k", "parts"}) {
    auto upload = index_->GetUpload("e", "b", key);
    ASSERT_TRUE(upload.ok()) << key;
    EXPECT_FALSE(upload->has_value()) << key;
  }
  // What it cannot read costs nothing else.
  auto kept = index_->GetLocal("/r", "good");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->size, 9u);
  // Overwriting repairs it.
  ASSERT_TRUE(index_->PutLocal("/r", "short", good).ok());
  auto repaired = index_->GetLocal("/r", "short");
  ASSERT_TRUE(repaired.ok() && repaired->has_value());
  EXPECT_EQ((*repaired)->size, 9u);
}

// The records an earlier gwsync wrote (version 1, with an xxh3 and an mtime
// never set), in an index with its "runs" family, are still read: an
// upgrade re-reads nothing.
TEST_F(IndexTest, RecordsOfTheEarlierLayoutAreRead) {
  const std::string k0 = std::string("/r") + '\0';
  const std::string obj = std::string("e") + '\0' + "b" + '\0';
  auto u64 = [](uint64_t v) {
    std::string s;
    for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return s;
  };
  auto str = [](const std::string& v) { return std::string(1, static_cast<char>(v.size())) + v; };
  std::string local = std::string(1, '\x01') + u64(42) + u64(7) + u64(9) +
                      std::string("\xa4\x01\0\0", 4) + str("") + str("md5") + str("etag");
  std::string remote = std::string(1, '\x01') + u64(42) + str("etag") + str("src") + u64(0);
  index_.reset();
  Corrupt(path_, "local", k0 + "old", local);
  Corrupt(path_, "remote", obj + "old", remote);
  Reopen();
  auto l = index_->GetLocal("/r", "old");
  ASSERT_TRUE(l.ok() && l->has_value());
  EXPECT_EQ((*l)->size, 42u);
  EXPECT_EQ((*l)->mode, 0644u);
  EXPECT_EQ((*l)->md5, "md5");
  EXPECT_EQ((*l)->etag, "etag");
  EXPECT_FALSE((*l)->unverified);
  auto r = index_->GetRemote("e", "b", "old");
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->source_etag, "src");
  EXPECT_FALSE((*r)->unverified);
}

// A record written before the xxh3 was kept (no field after the headers)
// is read, with none; one kept is read back as written.
TEST_F(IndexTest, TheXxh3IsKeptAndRecordsWithoutOneAreStillRead) {
  auto u64 = [](uint64_t v) {
    std::string s;
    for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return s;
  };
  auto str = [](const std::string& v) { return std::string(1, static_cast<char>(v.size())) + v; };
  const std::string before = std::string(1, '\x02') + u64(42) + u64(7) + u64(9) +
                             std::string("\xa4\x01\0\0", 4) + str("") + str("etag") +
                             std::string(4, '\0') + u64(0) + std::string(4, '\0') + str("{}");
  index_.reset();
  Corrupt(path_, "local", std::string("/r") + '\0' + "old", before);
  Reopen();
  auto old = index_->GetLocal("/r", "old");
  ASSERT_TRUE(old.ok() && old->has_value());
  EXPECT_EQ((*old)->etag, "etag");
  EXPECT_EQ((*old)->headers, "{}");
  EXPECT_EQ((*old)->xxh3, "");

  LocalRecord r = **old;
  r.xxh3 = "99aa06d3014798d86001c324468d497f";
  ASSERT_TRUE(index_->PutLocal("/r", "old", r).ok());
  auto got = index_->GetLocal("/r", "old");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->xxh3, r.xxh3);
  EXPECT_EQ((*got)->headers, "{}");
}

// The index names every file and key synced: no other user may read it.
class IndexModeTest : public ::testing::Test {};

TEST_F(IndexModeTest, OnlyTheOwnerCanReadTheIndex) {
  ScratchDir dir;
  std::string path = dir.path() + "/index";
  mode_t old = umask(022);  // the usual umask: files would be 0644
  {
    auto opened = Index::Open(path);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE((*opened)->PutLocal("/root", "key" + std::to_string(i), SampleLocal()).ok());
    }
  }
  umask(old);
  namespace fs = std::filesystem;
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_all);
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(path)) {
    auto perms = entry.status().permissions();
    EXPECT_EQ(perms & (fs::perms::group_all | fs::perms::others_all), fs::perms::none)
        << entry.path() << " is readable by others";
    ++files;
  }
  EXPECT_GT(files, 3);
}

}  // namespace
}  // namespace gwsync::index
