// zstd compression on the fly, with bounded memory (libzstd's streaming
// API): a reader that compresses what it reads from a descriptor, and a body
// sink that decompresses what it is given into another sink. Frames carry
// zstd's content checksum, so a damaged object fails to decompress instead
// of yielding wrong bytes. Each object is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "http/request.h"

namespace gwsync::transfer {

// Object metadata (x-amz-meta-NAME) marking a compressed object.
inline constexpr char kCompressionMeta[] = "gwsync-compression";
inline constexpr char kUncompressedSizeMeta[] = "gwsync-uncompressed-size";

class ZstdReader {
 public:
  // Reads `fd` (not owned) until its end.
  static StatusOr<std::unique_ptr<ZstdReader>> Create(int fd, int level);
  ~ZstdReader();

  // Fills `out` with compressed bytes; fewer only at the end, 0 once done.
  StatusOr<size_t> Read(std::span<char> out);
  uint64_t consumed() const { return consumed_; }  // input bytes so far
  bool at_end() const { return done_; }

 private:
  explicit ZstdReader(int fd);
  int fd_;
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  std::string in_;
  size_t in_pos_ = 0;
  bool eof_ = false;   // the input is exhausted
  bool done_ = false;  // and the frame is complete and handed out
  uint64_t consumed_ = 0;
};

class ZstdDecompressSink final : public http::BodySink {
 public:
  static StatusOr<std::shared_ptr<ZstdDecompressSink>> Create(std::shared_ptr<http::BodySink> out);
  ~ZstdDecompressSink() override;
  Status Write(std::string_view data) override;
  // Starts over (a retried GET) when the sink it writes to can.
  bool Restart() override;
  // DataLoss unless the input ended exactly at the end of a frame.
  Status Finish();
  uint64_t produced() const { return produced_; }

 private:
  explicit ZstdDecompressSink(std::shared_ptr<http::BodySink> out);
  std::shared_ptr<http::BodySink> out_;
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  std::string buf_;
  size_t last_hint_ = 0;  // 0: at a frame boundary
  uint64_t produced_ = 0;
};

}  // namespace gwsync::transfer
