// The xxh3 of a file hashed part by part, in any order and from many
// threads, is the whole file's (transfer/files.h).
#include "transfer/files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hash/hash.h"
#include "support/scratch.h"

namespace gwsync::transfer {
namespace {

using gwsync::testing::Scratch;

// A file of `size` pseudo-random bytes, open for reading.
class PartsFile {
 public:
  PartsFile(const Scratch& dir, uint64_t size) : path_(dir / "parts") {
    std::mt19937_64 rnd(size);
    bytes_.resize(size);
    for (char& c : bytes_) c = static_cast<char>(rnd());
    std::ofstream(path_, std::ios::binary).write(bytes_.data(), static_cast<std::streamsize>(size));
    fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  }
  ~PartsFile() { close(fd_); }
  int fd() const { return fd_; }
  std::string Md5Of(size_t part, uint64_t part_size) const {
    const uint64_t offset = part * part_size;
    return hash::Hex(hash::Md5(std::string_view(bytes_).substr(offset, part_size)));
  }
  std::string Xxh3() const { return hash::Xxh3Hex(bytes_); }

 private:
  std::string path_, bytes_;
  int fd_ = -1;
};

// The parts in a given order on one thread: every MD5 right, the xxh3 the
// whole file's; `reread` the bytes read a second time for it.
void HashInOrder(const PartsFile& f, uint64_t size, uint64_t part_size,
                 const std::vector<size_t>& order, uint64_t reread) {
  PartsXxh3 x(f.fd(), size, part_size);
  for (size_t part : order) {
    auto md5 = x.Md5OfPart(part);
    ASSERT_TRUE(md5.ok()) << md5.status().message();
    EXPECT_EQ(hash::Hex(*md5), f.Md5Of(part, part_size)) << "part " << part;
  }
  EXPECT_EQ(x.reread_bytes(), reread);
  auto fed = x.FinishIfFed();
  ASSERT_TRUE(fed.has_value());
  EXPECT_EQ(*fed, f.Xxh3());
}

TEST(PartsXxh3Test, InTurnEachPartIsReadOnce) {
  Scratch dir;
  // One part, a short last part, parts that end at the file's end.
  for (auto [size, part] : {std::pair<uint64_t, uint64_t>{1000, 4096},
                            {10000, 4096},
                            {12288, 4096},
                            {3 * (1 << 20) + 7, 1 << 20}}) {
    PartsFile f(dir, size);
    std::vector<size_t> order((size + part - 1) / part);
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    HashInOrder(f, size, part, order, 0);
  }
}

TEST(PartsXxh3Test, AheadOfTurnIsReadAgainOnlyThen) {
  Scratch dir;
  PartsFile f(dir, 10000);
  // Parts 1 and 2 ahead of 0: both read again once 0 is in.
  HashInOrder(f, 10000, 4096, {1, 2, 0}, 4096 + (10000 - 8192));
  // The last first: only it is read again.
  HashInOrder(f, 10000, 4096, {2, 0, 1}, 10000 - 8192);
}

TEST(PartsXxh3Test, FinishReadsWhatNoPartFed) {
  Scratch dir;
  PartsFile f(dir, 10000);
  PartsXxh3 x(f.fd(), 10000, 4096);
  ASSERT_TRUE(x.Md5OfPart(2).ok());  // parts 0 and 1 never hashed (a resumed upload's)
  EXPECT_FALSE(x.FinishIfFed().has_value());
  auto all = x.Finish();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, f.Xxh3());
  PartsXxh3 none(f.fd(), 10000, 4096);
  EXPECT_EQ(*none.Finish(), f.Xxh3());
  EXPECT_FALSE(x.Md5OfPart(3).ok());  // past the file
}

TEST(PartsXxh3Test, PartsFromManyThreadsInAnyOrder) {
  Scratch dir;
  const uint64_t part = 64 << 10, size = 40 * part + 123;
  PartsFile f(dir, size);
  for (int round = 0; round < 20; ++round) {
    PartsXxh3 x(f.fd(), size, part);
    std::vector<size_t> order(41);
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), std::mt19937(round));
    std::atomic<size_t> next{0};
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (size_t i; (i = next++) < order.size();) {
          auto md5 = x.Md5OfPart(order[i]);
          if (!md5.ok() || hash::Hex(*md5) != f.Md5Of(order[i], part)) ++wrong;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(wrong, 0);
    // Every part was hashed and every catch-up ran before its Md5OfPart
    // returned: nothing is left to read.
    auto fed = x.FinishIfFed();
    ASSERT_TRUE(fed.has_value()) << "round " << round;
    EXPECT_EQ(*fed, f.Xxh3());
    EXPECT_LT(x.reread_bytes(), size);
  }
}

}  // namespace
}  // namespace gwsync::transfer
