// zstd on the fly: what the reader compresses the sink gives back byte for
// byte, in any slicing, and damaged or cut-off data is refused.
#include "transfer/zstd_stream.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "http/bodies.h"

namespace gwsync::transfer {
namespace {

// Text with some repetition, like a dump.
std::string SampleText(size_t size) {
  std::mt19937 rng(7);
  const char* words[] = {"INSERT", "INTO", "orders", "VALUES", "42", "'pending'", "NULL", "\n"};
  std::string s;
  while (s.size() < size) {
    s += words[rng() % 8];
    s += ' ';
  }
  s.resize(size);
  return s;
}

// Compresses `input` through a pipe, read in slices of `slice` bytes.
std::string Compress(const std::string& input, size_t slice) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  std::thread writer([&] {
    for (size_t at = 0; at < input.size();) {
      ssize_t n = write(fds[1], input.data() + at, input.size() - at);
      if (n <= 0) break;
      at += static_cast<size_t>(n);
    }
    close(fds[1]);
  });
  auto reader = ZstdReader::Create(fds[0], 3);
  EXPECT_TRUE(reader.ok());
  std::string out, buf(slice, '\0');
  for (;;) {
    auto n = (*reader)->Read(buf);
    EXPECT_TRUE(n.ok()) << n.status().message();
    if (!n.ok() || *n == 0) break;
    out.append(buf.data(), *n);
  }
  writer.join();
  close(fds[0]);
  EXPECT_TRUE((*reader)->at_end());
  EXPECT_EQ((*reader)->consumed(), input.size());
  return out;
}

// Decompresses `data` handed over in pieces of `piece` bytes.
StatusOr<std::string> Decompress(const std::string& data, size_t piece) {
  auto out = std::make_shared<http::StringSink>();
  ASSIGN_OR_RETURN(auto sink, ZstdDecompressSink::Create(out));
  for (size_t at = 0; at < data.size(); at += piece) {
    RETURN_IF_ERROR(sink->Write(std::string_view(data).substr(at, piece)));
  }
  RETURN_IF_ERROR(sink->Finish());
  EXPECT_EQ(sink->produced(), out->data().size());
  return out->data();
}

TEST(ZstdStreamTest, RoundTripInAnySlicing) {
  std::string text = SampleText(5 << 20);
  for (size_t slice : {size_t{1} << 20, size_t{4096}, size_t{7}}) {
    std::string z = Compress(slice == 7 ? text.substr(0, 100000) : text, slice);
    EXPECT_EQ(z.substr(0, 4), std::string("\x28\xb5\x2f\xfd", 4));
    for (size_t piece : {size_t{1}, size_t{1000}, z.size()}) {
      if (piece == 1 && z.size() > 200000) continue;  // slow, and covered by the short one
      auto back = Decompress(z, piece);
      ASSERT_TRUE(back.ok()) << back.status().message();
      EXPECT_EQ(*back, slice == 7 ? text.substr(0, 100000) : text);
    }
  }
  EXPECT_LT(Compress(text, 1 << 20).size(), text.size() / 3);
}

TEST(ZstdStreamTest, EmptyInputIsOneEmptyFrame) {
  std::string z = Compress("", 4096);
  EXPECT_FALSE(z.empty());
  auto back = Decompress(z, 3);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "");
}

TEST(ZstdStreamTest, CutOffOrDamagedDataIsRefused) {
  std::string z = Compress(SampleText(300000), 1 << 16);
  auto cut = Decompress(z.substr(0, z.size() - 5), 1000);
  EXPECT_EQ(cut.status().code(), StatusCode::kDataLoss);
  std::string damaged = z;
  damaged[damaged.size() / 2] ^= 0x55;
  auto bad = Decompress(damaged, 1000);
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
  auto not_zstd = Decompress("plain text, no frame", 5);
  EXPECT_EQ(not_zstd.status().code(), StatusCode::kDataLoss);
}

TEST(ZstdStreamTest, RestartDecompressesAfresh) {
  std::string text = SampleText(200000), z = Compress(text, 4096);
  auto out = std::make_shared<http::StringSink>();
  auto sink = ZstdDecompressSink::Create(out);
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Write(std::string_view(z).substr(0, z.size() / 2)).ok());
  ASSERT_TRUE((*sink)->Restart());  // a retried GET sends it all again
  ASSERT_TRUE((*sink)->Write(z).ok());
  ASSERT_TRUE((*sink)->Finish().ok());
  EXPECT_EQ(out->data(), text);
}

TEST(ZstdStreamTest, ConcatenatedFramesDecompressAsOne) {
  std::string a = SampleText(1000), b = SampleText(2000);
  auto back = Decompress(Compress(a, 4096) + Compress(b, 4096), 100);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, a + b);
}

}  // namespace
}  // namespace gwsync::transfer
