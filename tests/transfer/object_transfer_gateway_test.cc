// Whole-object transfers against the real RGW: sizes around the multipart
// boundaries round-trip byte-exact, through files and through pipes, and a
// failed download leaves nothing behind.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "hash/hash.h"
#include "http/bodies.h"
#include "support/counting_transport.h"
#include "support/gateway.h"
#include "transfer/object_transfer.h"

namespace gwsync::transfer {
namespace {

using gwsync::testing::GatewayTest;
using gwsync::testing::RandomBytes;
using gwsync::testing::ReadFile;
using gwsync::testing::TempDir;
using gwsync::testing::WriteFile;

constexpr uint64_t kMiB = 1 << 20;

TransferOptions SmallParts() {
  TransferOptions o;
  o.part_size = 5 * kMiB;
  o.multipart_threshold = 5 * kMiB;
  o.parallel = 4;
  return o;
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class RoundTripTest : public GatewayTest, public ::testing::WithParamInterface<uint64_t> {};

TEST_P(RoundTripTest, FileUpAndDownByteExact) {
  const uint64_t size = GetParam();
  TempDir dir;
  std::string data = RandomBytes(size, size);
  WriteFile(dir.File("src"), data);
  TransferOptions o = SmallParts();
  std::atomic<uint64_t> progressed{0};
  o.on_bytes = [&](uint64_t n) { progressed += n; };

  auto up = UploadFile(client(), dir.File("src"), bucket_, "obj", o);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->size, size);
  EXPECT_EQ(up->parts > 0, size >= o.multipart_threshold);
  EXPECT_EQ(progressed.load(), size);
  if (up->parts == 0) {
    EXPECT_EQ(up->etag, hash::Hex(hash::Md5(data)));
  }

  progressed = 0;
  auto down = DownloadFile(client(), bucket_, "obj", dir.File("dst"), o);
  ASSERT_TRUE(down.ok()) << down.status().ToString();
  EXPECT_EQ(down->size, size);
  EXPECT_EQ(down->etag, up->etag);
  // Checked by content whatever the size: a multipart ETag is recomputed
  // from the file's parts at the part size the object records.
  EXPECT_EQ(down->verdict, transfer::Verdict::kVerified);
  EXPECT_EQ(progressed.load(), size);
  EXPECT_TRUE(ReadFile(dir.File("dst")) == data);
  // No temporary file is left beside the result.
  EXPECT_EQ(DirEntries(dir.path()), (std::vector<std::string>{"dst", "src"}));
}

INSTANTIATE_TEST_SUITE_P(Sizes, RoundTripTest,
                         ::testing::Values(0, 1, 5 * kMiB - 1, 5 * kMiB + 1, 100 * kMiB),
                         [](const auto& info) { return "Bytes" + std::to_string(info.param); });

// A stream of unknown length (a pipe) goes up as multipart and comes back
// through a pipe, byte-exact.
TEST_F(GatewayTest, StreamsThroughPipes) {
  std::string data = RandomBytes(12 * kMiB + 3, 42);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::thread writer([&] {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = write(fds[1], data.data() + off, std::min<size_t>(65536, data.size() - off));
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fds[1]);
  });
  auto up = UploadStream(client(), fds[0], bucket_, "stream", SmallParts());
  writer.join();
  close(fds[0]);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->size, data.size());
  EXPECT_EQ(up->parts, 3);

  TempDir dir;
  int out = open(dir.File("out").c_str(), O_CREAT | O_WRONLY, 0644);
  auto down = DownloadStream(client(), bucket_, "stream", out, SmallParts());
  close(out);
  ASSERT_TRUE(down.ok()) << down.status().ToString();
  EXPECT_TRUE(ReadFile(dir.File("out")) == data);
}

TEST_F(GatewayTest, FailedDownloadLeavesNothing) {
  TempDir dir;
  WriteFile(dir.File("keep"), "old contents");
  auto down = DownloadFile(client(), bucket_, "missing", dir.File("keep"), SmallParts());
  EXPECT_EQ(down.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadFile(dir.File("keep")), "old contents");
  EXPECT_EQ(DirEntries(dir.path()), std::vector<std::string>{"keep"});
}

TEST_F(GatewayTest, UnreadableFileIsReported) {
  auto up = UploadFile(client(), "/nonexistent/file", bucket_, "k", SmallParts());
  EXPECT_EQ(up.status().code(), StatusCode::kNotFound);
  EXPECT_NE(up.status().message().find("/nonexistent/file"), std::string::npos);
}

// A checkpoint store that keeps its one checkpoint in `*store`.
std::shared_ptr<CheckpointStore> CheckpointsIn(std::optional<UploadCheckpoint>* store) {
  auto checkpoints = std::make_shared<CheckpointStore>();
  checkpoints->load = [store] { return *store; };
  checkpoints->save = [store](const UploadCheckpoint& c) { *store = c; };
  checkpoints->clear = [store] { store->reset(); };
  return checkpoints;
}

// What a run killed after two of five parts leaves: an upload with parts 1
// and 2 of `data` sent, and its checkpoint for the file at `path`.
UploadCheckpoint UploadTwoOfFive(const s3::Client& client, const std::string& bucket,
                                 const std::string& path, const std::string& data) {
  const uint64_t part = 5 * kMiB;
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0);
  auto id = s3::Wait<std::string>(
      [&](auto done) { client.CreateMultipartUpload(bucket, "big", {}, done); });
  EXPECT_TRUE(id.ok());
  UploadCheckpoint saved;
  saved.upload_id = id.ok() ? *id : "";
  saved.part_size = part;
  saved.file_size = data.size();
  saved.file_mtime_ns = fileio::MtimeNs(st);
  saved.file_dev = st.st_dev;
  saved.file_inode = st.st_ino;
  saved.file_ctime_ns = fileio::CtimeNs(st);
  for (int n = 1; n <= 2; ++n) {
    std::string piece = data.substr((n - 1) * part, part);
    auto md5 = hash::Md5(piece);
    auto etag = s3::Wait<std::string>([&](auto done) {
      client.UploadPart(bucket, "big", saved.upload_id, n,
                        std::make_shared<http::StringSource>(piece), hash::Base64(md5), done);
    });
    EXPECT_TRUE(etag.ok());
    saved.part_md5s[n] = hash::Hex(md5);
  }
  return saved;
}

// An upload interrupted after two of five parts resumes with the other three.
TEST_F(GatewayTest, InterruptedMultipartUploadResumes) {
  TempDir dir;
  std::string data = RandomBytes(25 * kMiB - 100, 9);
  WriteFile(dir.File("f"), data);
  std::optional<UploadCheckpoint> store = UploadTwoOfFive(client(), bucket_, dir.File("f"), data);
  TransferOptions o = SmallParts();
  o.checkpoint = CheckpointsIn(&store);

  testing::CountingTransport counting(transport_.get());
  s3::Client counted(&counting, testing::TestGateway::Get().Options());
  auto up = UploadFile(counted, dir.File("f"), bucket_, "big", o);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->parts, 5);
  EXPECT_EQ(up->parts_resumed, 2);
  EXPECT_EQ(counting.Count("PUT object"), 3);   // parts 3, 4 and 5 only
  EXPECT_EQ(counting.Count("POST object"), 1);  // the completion: no new upload
  EXPECT_FALSE(store.has_value());              // done: nothing left to resume

  auto down = DownloadFile(client(), bucket_, "big", dir.File("back"), o);
  ASSERT_TRUE(down.ok());
  EXPECT_TRUE(ReadFile(dir.File("back")) == data);
}

// The file rewritten in place between the runs, same size, its mtime set
// back (as `cp -p` or a restore tool leaves it): size and mtime match the
// checkpoint, its ctime does not. The upload starts over, so the object
// holds the new bytes, not the old first parts with the new rest.
TEST_F(GatewayTest, AFileRewrittenInPlaceWithItsTimeSetBackIsNotResumed) {
  TempDir dir;
  const std::string old_data = RandomBytes(25 * kMiB - 100, 9);
  WriteFile(dir.File("f"), old_data);
  struct stat before {};
  ASSERT_EQ(stat(dir.File("f").c_str(), &before), 0);
  std::optional<UploadCheckpoint> store =
      UploadTwoOfFive(client(), bucket_, dir.File("f"), old_data);

  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a later ctime
  const std::string new_data = RandomBytes(old_data.size(), 19);
  {
    int fd = open(dir.File("f").c_str(), O_WRONLY);  // same inode
    ASSERT_GE(fd, 0);
    ASSERT_EQ(pwrite(fd, new_data.data(), new_data.size(), 0),
              static_cast<ssize_t>(new_data.size()));
    const struct timespec times[2] = {before.st_atim, before.st_mtim};
    ASSERT_EQ(futimens(fd, times), 0);
    close(fd);
  }
  TransferOptions o = SmallParts();
  o.checkpoint = CheckpointsIn(&store);
  auto up = UploadFile(client(), dir.File("f"), bucket_, "big", o);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->parts_resumed, 0);
  auto down = DownloadFile(client(), bucket_, "big", dir.File("back"), o);
  ASSERT_TRUE(down.ok()) << down.status().ToString();
  EXPECT_TRUE(ReadFile(dir.File("back")) == new_data) << "old parts mixed into the new content";
}

// A checkpoint for another version of the file is dropped, never mixed in.
TEST_F(GatewayTest, StaleCheckpointStartsOver) {
  TempDir dir;
  std::string data = RandomBytes(11 * kMiB, 10);
  WriteFile(dir.File("f"), data);
  std::optional<UploadCheckpoint> store =
      UploadCheckpoint{"no-such-upload", 5 * kMiB, data.size(), 1, {{1, std::string(32, 'a')}}};
  TransferOptions o = SmallParts();
  o.checkpoint = CheckpointsIn(&store);
  auto up = UploadFile(client(), dir.File("f"), bucket_, "f", o);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->parts_resumed, 0);
  auto down = DownloadFile(client(), bucket_, "f", dir.File("back"), o);
  ASSERT_TRUE(down.ok());
  EXPECT_TRUE(ReadFile(dir.File("back")) == data);
}

// A copy within the cluster at or above copy_multipart_threshold goes as
// server-side part copies (UploadPartCopy) at the part size the source
// records, so the copy has the source's ETag, which proves it.
TEST_F(GatewayTest, LargeServerSideCopyGoesInPartCopiesAndKeepsTheEtag) {
  TempDir dir;
  std::string data = RandomBytes(12 * kMiB + 123, 7);
  WriteFile(dir.File("src"), data);
  TransferOptions o = SmallParts();
  auto up = UploadFile(client(), dir.File("src"), bucket_, "big", o);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  ASSERT_EQ(up->parts, 3);

  o.copy_multipart_threshold = 5 * kMiB;
  o.part_size = 8 * kMiB;  // the source's recorded 5 MiB wins
  auto copy = CopyObject(client(), bucket_, "big", client(), bucket_, "copy", o);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->parts, 3);
  EXPECT_EQ(copy->etag, up->etag);

  auto down = DownloadFile(client(), bucket_, "copy", dir.File("back"), o);
  ASSERT_TRUE(down.ok()) << down.status().ToString();
  EXPECT_EQ(down->verdict, transfer::Verdict::kVerified);
  EXPECT_TRUE(ReadFile(dir.File("back")) == data);
}

TEST(MultipartEtagTest, MatchesS3Rule) {
  // Two parts "a" and "b": MD5 of the concatenated binary MD5s, then "-2".
  std::vector<hash::Md5Digest> parts = {hash::Md5("a"), hash::Md5("b")};
  std::string concat;
  for (auto& d : parts) concat.append(reinterpret_cast<const char*>(d.data()), 16);
  EXPECT_EQ(MultipartEtag(parts), hash::Hex(hash::Md5(concat)) + "-2");
  EXPECT_TRUE(EtagIsMd5(hash::Hex(hash::Md5("x"))));
  EXPECT_FALSE(EtagIsMd5("abc-2"));
}

}  // namespace
}  // namespace gwsync::transfer
