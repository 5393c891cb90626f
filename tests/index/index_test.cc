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
  std::vector<std::string> Scan(const std::string& root, const std::string& prefix) {
    std::vector<std::string> keys;
    Status s = index_->ScanLocal(root, prefix, [&](const std::string& key, const LocalRecord&) {
      keys.push_back(key);
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return keys;
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
  r.xxh3 = "0123456789abcdef0123456789abcdef";
  r.md5 = "d41d8cd98f00b204e9800998ecf8427e";
  r.etag = "\"d41d8cd98f00b204e9800998ecf8427e-3\"";
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
  EXPECT_EQ(g.xxh3, r.xxh3);
  EXPECT_EQ(g.md5, r.md5);
  EXPECT_EQ(g.etag, r.etag);
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
  EXPECT_EQ(Scan("/r", ""), (std::vector<std::string>{"c", "gone"}));
  ASSERT_TRUE(index_->CommitBatch().ok());
  EXPECT_EQ(Scan("/r", ""), (std::vector<std::string>{"a", "b", "c"}));
  // After the commit, writes go straight in again.
  ASSERT_TRUE(index_->PutLocal("/r", "d", SampleLocal()).ok());
  EXPECT_EQ(Scan("/r", "d"), (std::vector<std::string>{"d"}));
}

TEST_F(IndexTest, RemoteRoundTrip) {
  RemoteRecord r;
  r.size = 71;
  r.etag = "\"abc\"";
  r.source_etag = "\"def-2\"";
  r.mtime_ns = 42;
  ASSERT_TRUE(index_->PutRemote("http://127.0.0.1:8000", "registry", "a/b", r).ok());
  auto got = index_->GetRemote("http://127.0.0.1:8000", "registry", "a/b");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->size, 71u);
  EXPECT_EQ((*got)->etag, "\"abc\"");
  EXPECT_EQ((*got)->source_etag, "\"def-2\"");
  EXPECT_EQ((*got)->mtime_ns, 42);

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
  ASSERT_TRUE(index_->PutUpload("e", "b", "big.tar", r).ok());
  auto got = index_->GetUpload("e", "b", "big.tar");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->upload_id, r.upload_id);
  EXPECT_EQ((*got)->part_size, r.part_size);
  EXPECT_EQ((*got)->file_size, r.file_size);
  EXPECT_EQ((*got)->file_mtime_ns, r.file_mtime_ns);
  EXPECT_EQ((*got)->part_md5s, r.part_md5s);

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

TEST_F(IndexTest, FamiliesAreSeparate) {
  ASSERT_TRUE(index_->PutRemote("e", "b", "k", RemoteRecord{}).ok());
  auto upload = index_->GetUpload("e", "b", "k");
  ASSERT_TRUE(upload.ok());
  EXPECT_FALSE(upload->has_value());
  EXPECT_TRUE(index_->PutRun("run-1", R"({"uploaded":3})").ok());
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

TEST_F(IndexTest, ScanLocalInKeyOrderWithinRootAndPrefix) {
  LocalRecord r;
  // Inserted out of order; a root that prefixes another must not leak in.
  for (const char* key : {"a0", "a/b", "a-b", "b", "a/c/d", "", "a"}) {
    ASSERT_TRUE(index_->PutLocal("/a", key, r).ok());
  }
  for (const char* key : {"a-b", "zz"}) ASSERT_TRUE(index_->PutLocal("/ab", key, r).ok());
  ASSERT_TRUE(index_->PutLocal("/", "a", r).ok());
  ASSERT_TRUE(index_->PutLocal("", "a", r).ok());

  EXPECT_EQ(Scan("/a", ""), (std::vector<std::string>{"", "a", "a-b", "a/b", "a/c/d", "a0", "b"}));
  EXPECT_EQ(Scan("/a", "a/"), (std::vector<std::string>{"a/b", "a/c/d"}));
  EXPECT_EQ(Scan("/a", "a"), (std::vector<std::string>{"a", "a-b", "a/b", "a/c/d", "a0"}));
  EXPECT_EQ(Scan("/a", "c"), std::vector<std::string>{});
  EXPECT_EQ(Scan("/ab", ""), (std::vector<std::string>{"a-b", "zz"}));
  EXPECT_EQ(Scan("/", ""), std::vector<std::string>{"a"});
  EXPECT_EQ(Scan("", ""), std::vector<std::string>{"a"});
  EXPECT_EQ(Scan("/missing", ""), std::vector<std::string>{});
}

TEST_F(IndexTest, ScanLocalStopsAtFirstError) {
  LocalRecord r;
  for (const char* key : {"1", "2", "3"}) ASSERT_TRUE(index_->PutLocal("/r", key, r).ok());
  int seen = 0;
  Status s = index_->ScanLocal("/r", "", [&](const std::string&, const LocalRecord&) {
    return ++seen == 2 ? Status(StatusCode::kCancelled, "stop") : Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kCancelled);
  EXPECT_EQ(seen, 2);
}

TEST_F(IndexTest, ScanLocalReturnsRecords) {
  LocalRecord r = SampleLocal();
  ASSERT_TRUE(index_->PutLocal("/r", "k", r).ok());
  int seen = 0;
  Status s = index_->ScanLocal("/r", "", [&](const std::string& key, const LocalRecord& got) {
    ++seen;
    EXPECT_EQ(key, "k");
    EXPECT_EQ(got.size, r.size);
    EXPECT_EQ(got.etag, r.etag);
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(seen, 1);
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
  // A scan skips what it cannot read and still yields the rest.
  EXPECT_EQ(Scan("/r", ""), std::vector<std::string>{"good"});
  // Overwriting repairs it.
  ASSERT_TRUE(index_->PutLocal("/r", "short", good).ok());
  auto repaired = index_->GetLocal("/r", "short");
  ASSERT_TRUE(repaired.ok() && repaired->has_value());
  EXPECT_EQ((*repaired)->size, 9u);
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
