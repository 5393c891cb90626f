// The fixture of the pipeline's unit tests: RunSync, whole, against FakeS3
// (an S3 gateway in memory on a thread of its own) and temporary folders,
// with a FaultyFileSystem and an index of its own. The tests look at what a
// user notices (files and objects, the report's counts, errors and notices,
// the index's records), never at the pipeline's insides, so they hold
// whatever carries the jobs. Test thread only.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "index/index.h"
#include "support/fake_s3.h"
#include "support/faulty_fs.h"
#include "support/gateway.h"
#include "sync/sync.h"

namespace gwsync::sync {

using testing::FakeS3;
using testing::FaultyFileSystem;
using testing::FsOp;
using testing::RandomBytes;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;
namespace fs = std::filesystem;

// key -> contents, of a folder or a bucket.
using Tree = std::map<std::string, std::string>;

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() : client_(&gateway_, FakeS3::ClientOptions()) {
    auto idx = index::Index::Open(work_.File("index"));
    EXPECT_TRUE(idx.ok()) << idx.status().ToString();
    if (idx.ok()) index_ = std::move(*idx);
    options_.index = index_.get();
    options_.file_system = &fs_;
    options_.transfer.part_size = 5 << 20;
    options_.transfer.multipart_threshold = 8 << 20;
    gateway_.CreateBucket("b");
  }
  // The gateway's thread ends first: nothing calls back into a client or a
  // sync that is gone.
  void TearDown() override { gateway_.Stop(); }

  Location Local(const std::string& path) const {
    Location l;
    l.kind = Location::Kind::kLocal;
    l.path = path;
    return l;
  }
  Location Bucket(const std::string& bucket, const std::string& prefix = "") const {
    Location l;
    l.kind = Location::Kind::kRemote;
    l.client = &client_;
    l.bucket = bucket;
    l.prefix = prefix;
    l.remote_id = "http://fake-s3:8000 fake-key";
    return l;
  }
  std::string Dir(const std::string& name) const { return work_.File(name); }

  // A sync that runs (its report may hold errors).
  SyncReport Sync(const Location& src, const Location& dst) {
    auto r = RunSync(src, dst, options_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : SyncReport{};
  }
  // A sync that must end without an error.
  SyncReport SyncOk(const Location& src, const Location& dst) {
    SyncReport r = Sync(src, dst);
    for (const auto& [key, msg] : r.errors) ADD_FAILURE() << key << ": " << msg;
    for (const auto& why : r.delete_refusals) ADD_FAILURE() << why;
    return r;
  }

  static uint64_t Count(const SyncReport& r, const std::string& action) {
    auto it = r.actions.find(action);
    return it == r.actions.end() ? 0 : it->second.objects;
  }
  // "key: message" of every error or notice, one a line.
  static std::string Errors(const SyncReport& r) { return Lines(r.errors); }
  static std::string Notices(const SyncReport& r) { return Lines(r.notices); }
  static std::string Lines(const std::vector<std::pair<std::string, std::string>>& v) {
    std::string out;
    for (const auto& [key, msg] : v) out += key + ": " + msg + "\n";
    return out;
  }

  static void WriteTree(const std::string& root, const Tree& tree) {
    for (const auto& [key, data] : tree) {
      fs::path p = fs::path(root) / key;
      fs::create_directories(p.parent_path());
      WriteFile(p.string(), data);
    }
  }
  // Every regular file under `root` but the reserved .gwsync/ (temporary
  // names included, so a leftover shows as a difference).
  static Tree ReadTree(const std::string& root) {
    Tree out;
    if (!fs::exists(root)) return out;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
         ++it) {
      if (it.depth() == 0 && it->path().filename() == ".gwsync") {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file())
        out[fs::relative(it->path(), root).string()] = ReadFile(it->path());
    }
    return out;
  }
  void PutTree(const std::string& bucket, const Tree& tree,
               const std::map<std::string, std::string>& metadata = {}) {
    for (const auto& [key, data] : tree) gateway_.PutObject(bucket, key, data, metadata);
  }

  // What the index remembers of a local file under `root`.
  std::optional<index::LocalRecord> Remembered(const std::string& root, const std::string& key) {
    auto rec = index_->GetLocal(root, key);
    EXPECT_TRUE(rec.ok()) << rec.status().ToString();
    return rec.ok() ? *rec : std::nullopt;
  }
  static struct stat StatOf(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st;
  }

  FakeS3 gateway_;
  s3::Client client_;
  TempDir work_;
  std::unique_ptr<index::Index> index_;
  FaultyFileSystem fs_;
  SyncOptions options_;
};

}  // namespace gwsync::sync
