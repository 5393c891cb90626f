// sync against the real RGW: both directions byte-exact with attributes, the
// incremental run that sends no data request, --delete, --dry-run, filters,
// a lost index, hostile keys and folder markers, and cluster to cluster.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "hash/hash.h"
#include "http/bodies.h"
#include "plan/plan.h"
#include "support/counting_transport.h"
#include "support/gateway.h"
#include "sync/sync.h"

namespace gwsync::sync {
namespace {

using gwsync::testing::CountingTransport;
using gwsync::testing::GatewayTest;
using gwsync::testing::RandomBytes;
using gwsync::testing::ReadFile;
using gwsync::testing::TempDir;
using gwsync::testing::TestGateway;
using gwsync::testing::WriteFile;
namespace fs = std::filesystem;

// A tree with nesting, byte-order traps ("a-b" < "a/b") and awkward names.
std::map<std::string, std::string> SampleTree() {
  return {{"a-b", "dash"},
          {"a/b", "slash"},
          {"a/c/deep/file.txt", RandomBytes(3000, 1)},
          {"a0", "zero"},
          {"empty", ""},
          {"with space/\xc3\xbcnic\xc3\xb6"
           "de+plus",
           "u"},
          {"big.bin", RandomBytes(7 << 20, 2)}};  // above the multipart threshold below
}

void WriteTree(const std::string& root, const std::map<std::string, std::string>& tree) {
  for (const auto& [key, data] : tree) {
    fs::path p = fs::path(root) / key;
    fs::create_directories(p.parent_path());
    WriteFile(p.string(), data);
  }
}

std::map<std::string, std::string> ReadTree(const std::string& root) {
  std::map<std::string, std::string> out;
  if (!fs::exists(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) {
      out[fs::relative(e.path(), root).string()] = ReadFile(e.path().string());
    }
  }
  return out;
}

class SyncTest : public GatewayTest {
 protected:
  void SetUp() override {
    GatewayTest::SetUp();
    counting_ = std::make_unique<CountingTransport>(transport_.get());
    counted_ = std::make_unique<s3::Client>(counting_.get(), TestGateway::Get().Options());
    auto idx = index::Index::Open(index_dir_.File("index"));
    ASSERT_TRUE(idx.ok()) << idx.status().ToString();
    index_ = std::move(*idx);
    options_.index = index_.get();
    options_.transfer.part_size = 5 << 20;
    options_.transfer.multipart_threshold = 5 << 20;
  }

  Location Local(const std::string& path) {
    Location l;
    l.kind = Location::Kind::kLocal;
    l.path = path;
    return l;
  }
  Location Bucket(const std::string& bucket, const std::string& prefix = "") {
    Location l;
    l.kind = Location::Kind::kRemote;
    l.client = counted_.get();
    l.bucket = bucket;
    l.prefix = prefix;
    l.remote_id = TestGateway::Get().endpoints[0];
    return l;
  }
  SyncReport Sync(const Location& src, const Location& dst) {
    auto r = RunSync(src, dst, options_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    for (const auto& [key, msg] : r->errors) ADD_FAILURE() << key << ": " << msg;
    return *r;
  }
  std::map<std::string, std::string> BucketContents(const std::string& bucket,
                                                    const std::string& prefix = "") {
    std::map<std::string, std::string> out;
    s3::ListOptions o;
    o.prefix = prefix;
    for (;;) {
      auto page = s3::Wait<s3::ListPage>([&](auto done) { client().ListObjects(bucket, o, done); });
      EXPECT_TRUE(page.ok());
      if (!page.ok()) break;
      for (const auto& obj : page->objects) {
        auto sink = std::make_shared<http::StringSink>();
        auto got = s3::Wait<s3::ObjectHead>(
            [&](auto done) { client().GetObject(bucket, obj.key, {}, sink, done); });
        EXPECT_TRUE(got.ok());
        out[obj.key.substr(prefix.size())] = sink->data();
      }
      if (!page->truncated) break;
      o.continuation = page->next_token;
    }
    return out;
  }
  uint64_t Count(const SyncReport& r, const std::string& action) {
    auto it = r.actions.find(action);
    return it == r.actions.end() ? 0 : it->second.objects;
  }

  TempDir index_dir_;
  std::unique_ptr<CountingTransport> counting_;
  std::unique_ptr<s3::Client> counted_;
  std::unique_ptr<index::Index> index_;
  SyncOptions options_;
};

TEST_F(SyncTest, BackupAndRestoreAreByteExactWithAttributes) {
  TempDir src, dst;
  auto tree = SampleTree();
  WriteTree(src.path(), tree);
  std::string f = src.File("a/c/deep/file.txt");
  chmod(f.c_str(), 0640);
  struct timespec times[2] = {{0, UTIME_OMIT}, {1600000000, 123456789}};
  utimensat(AT_FDCWD, f.c_str(), times, 0);

  SyncReport up = Sync(Local(src.path()), Bucket(bucket_, "backup/"));
  EXPECT_EQ(Count(up, "upload"), tree.size());
  EXPECT_EQ(BucketContents(bucket_, "backup/"), tree);

  SyncReport down = Sync(Bucket(bucket_, "backup/"), Local(dst.File("restore")));
  EXPECT_EQ(Count(down, "download"), tree.size());
  EXPECT_EQ(ReadTree(dst.File("restore")), tree);
  struct stat st {};
  ASSERT_EQ(stat(dst.File("restore/a/c/deep/file.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 123456789);
}

TEST_F(SyncTest, SecondRunSendsNoDataRequests) {
  TempDir src, dst;
  WriteTree(src.path(), SampleTree());
  Sync(Local(src.path()), Bucket(bucket_));
  Sync(Bucket(bucket_), Local(dst.path()));

  counting_->Reset();
  SyncReport up = Sync(Local(src.path()), Bucket(bucket_));
  SyncReport down = Sync(Bucket(bucket_), Local(dst.path()));
  EXPECT_EQ(counting_->ObjectDataRequests(), 0);
  EXPECT_EQ(counting_->Count("PUT bucket"), 0);
  EXPECT_GT(counting_->Count("GET bucket"), 0);  // the listings
  EXPECT_EQ(Count(up, "skip: unchanged"), SampleTree().size());
  EXPECT_EQ(Count(down, "skip: unchanged"), SampleTree().size());

  // A changed file goes up again, and only it.
  WriteFile(src.File("a/b"), "changed, and longer");
  counting_->Reset();
  SyncReport again = Sync(Local(src.path()), Bucket(bucket_));
  EXPECT_EQ(Count(again, "upload"), 1u);
  EXPECT_EQ(counting_->Count("PUT object"), 1);
}

TEST_F(SyncTest, LosingTheIndexCostsReadsNotTransfers) {
  TempDir src;
  WriteTree(src.path(), SampleTree());
  Sync(Local(src.path()), Bucket(bucket_));
  options_.index = nullptr;  // as if the index were deleted
  counting_->Reset();
  SyncReport r = Sync(Local(src.path()), Bucket(bucket_));
  EXPECT_EQ(counting_->Count("PUT object"), 0);
  EXPECT_EQ(Count(r, "skip: same content"), SampleTree().size());
}

TEST_F(SyncTest, DryRunChangesNothingAndDeleteRemovesExtras) {
  TempDir src, dst;
  WriteTree(src.path(), {{"keep", "1"}, {"new", "2"}});
  WriteTree(dst.path(), {{"keep", "1"}, {"extra/old", "3"}});
  Sync(Local(dst.path()), Bucket(bucket_));  // the bucket holds keep + extra/old

  options_.delete_extra = true;
  options_.dry_run = true;
  std::vector<std::string> planned;
  options_.on_plan = [&](const plan::Action& a) {
    planned.push_back(std::string(plan::ActionName(a.kind)) + " " + a.key);
  };
  Sync(Local(src.path()), Bucket(bucket_));
  // Deletes come last, after every transfer.
  EXPECT_EQ(planned, (std::vector<std::string>{"upload new", "delete extra/old"}));
  EXPECT_EQ(BucketContents(bucket_),
            (std::map<std::string, std::string>{{"extra/old", "3"}, {"keep", "1"}}));

  options_.dry_run = false;
  options_.on_plan = nullptr;
  SyncReport r = Sync(Local(src.path()), Bucket(bucket_));
  EXPECT_EQ(Count(r, "delete"), 1u);
  EXPECT_EQ(BucketContents(bucket_),
            (std::map<std::string, std::string>{{"keep", "1"}, {"new", "2"}}));

  // And the other way: --delete removes local files the bucket lacks.
  Sync(Bucket(bucket_), Local(dst.path()));
  EXPECT_EQ(ReadTree(dst.path()),
            (std::map<std::string, std::string>{{"keep", "1"}, {"new", "2"}}));
}

TEST_F(SyncTest, ExcludedKeysAreNeitherCopiedNorDeleted) {
  TempDir src;
  WriteTree(src.path(), {{"a.log", "x"}, {"logs/b.tmp", "y"}, {"data", "z"}});
  options_.filter.Exclude("*.tmp");
  options_.filter.Exclude("*.log");
  SyncReport r = Sync(Local(src.path()), Bucket(bucket_));
  EXPECT_EQ(BucketContents(bucket_), (std::map<std::string, std::string>{{"data", "z"}}));
  EXPECT_EQ(Count(r, "upload"), 1u);
}

// Keys that would escape the folder, and a marker, are kept in the key
// store inside it, and a restore gives every one of them back.
TEST_F(SyncTest, HostileKeysAndMarkersStayInsideTheFolderAndComeBack) {
  const std::vector<std::string> odd = {"../escape", "/abs", "a/../../escape2", "marker/"};
  for (const std::string& key : {odd[0], odd[1], odd[2], odd[3], std::string("ok/file")}) {
    auto put = s3::Wait<std::string>([&](auto done) {
      client().PutObject(bucket_, key, std::make_shared<http::StringSource>(key), {}, done);
    });
    ASSERT_TRUE(put.ok()) << key << ": " << put.status().ToString();
  }
  TempDir dst;
  auto r = RunSync(Bucket(bucket_), Local(dst.File("in")), options_);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->errors.empty());
  EXPECT_EQ(r->key_store_count, odd.size());
  EXPECT_FALSE(fs::exists(dst.File("escape")));
  EXPECT_FALSE(fs::exists(dst.File("escape2")));
  EXPECT_FALSE(fs::exists(fs::path(dst.path()).parent_path() / "escape"));
  EXPECT_FALSE(fs::exists("/abs"));
  EXPECT_TRUE(fs::is_regular_file(dst.File("in/ok/file")));
  EXPECT_TRUE(fs::is_directory(dst.File("in/marker")));
  for (const std::string& key : odd) {
    EXPECT_EQ(ReadFile(dst.File("in/" + plan::KeyStorePath(key))), key) << key;
  }

  std::string back = NewBucket("keystore-back");
  auto restored = RunSync(Local(dst.File("in")), Bucket(back), options_);
  ASSERT_TRUE(restored.ok());
  EXPECT_TRUE(restored->errors.empty());
  EXPECT_EQ(BucketContents(back), BucketContents(bucket_));
}

TEST_F(SyncTest, ClusterToClusterCopiesServerSideOrStreamed) {
  TempDir src;
  auto tree = SampleTree();
  WriteTree(src.path(), tree);
  Sync(Local(src.path()), Bucket(bucket_));

  // Same gateway and user: server-side copies.
  std::string copy = NewBucket("c2c-copy");
  counting_->Reset();
  SyncReport same = Sync(Bucket(bucket_), Bucket(copy));
  EXPECT_EQ(Count(same, "copy"), tree.size());
  EXPECT_EQ(counting_->Count("GET object"), 0);
  EXPECT_EQ(BucketContents(copy), tree);

  // Another gateway of the cluster with another user's keys: streamed.
  const TestGateway& gw = TestGateway::Get();
  const char* ak = std::getenv("GWSYNC_TEST_OTHER_ACCESS_KEY");
  const char* sk = std::getenv("GWSYNC_TEST_OTHER_SECRET_KEY");
  ASSERT_TRUE(ak && sk) << "the gateway env lacks the second user's keys";
  s3::ClientOptions other = gw.Options(gw.endpoints.size() - 1);
  other.credentials = {ak, sk, ""};
  s3::Client other_client(transport_.get(), other);
  Location dst;
  dst.kind = Location::Kind::kRemote;
  dst.client = &other_client;
  dst.bucket = testing::UniqueBucketName("c2c-other");
  dst.remote_id = other.endpoint.BaseUrl() + " " + ak;
  SyncReport streamed = Sync(Bucket(bucket_), dst);
  EXPECT_EQ(Count(streamed, "copy"), tree.size());
  SyncReport again = Sync(Bucket(bucket_), dst);
  EXPECT_EQ(Count(again, "copy"), 0u);
  // Read back through the other user, then clean up its bucket.
  for (const auto& [key, data] : tree) {
    auto sink = std::make_shared<http::StringSink>();
    auto got = s3::Wait<s3::ObjectHead>(
        [&](auto done) { other_client.GetObject(dst.bucket, key, {}, sink, done); });
    ASSERT_TRUE(got.ok()) << key;
    EXPECT_TRUE(sink->data() == data) << key;
    s3::WaitStatus([&](auto done) {
      other_client.DeleteObject(dst.bucket, key, done);
    }).IgnoreError();
  }
  s3::WaitStatus([&](auto done) { other_client.DeleteBucket(dst.bucket, done); }).IgnoreError();
}

}  // namespace
}  // namespace gwsync::sync
