// Request and response bodies for load generation: a source that serves any
// number of bytes from one shared block of random data (so a 64 MiB PUT costs
// no 64 MiB of memory, and no two objects need be alike), and a sink that
// only counts what it is given. Each object serves one request at a time on
// the transport's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "http/request.h"

namespace gwsync::loadgen {

// One MiB of pseudo-random bytes, made once.
std::shared_ptr<const std::string> PatternBlock();

class PatternSource final : public http::BodySource {
 public:
  // `size` bytes of `block`, cycling, starting `offset` bytes in.
  PatternSource(std::shared_ptr<const std::string> block, uint64_t size, uint64_t offset)
      : block_(std::move(block)), size_(size), start_(offset % block_->size()) {}
  uint64_t size() const override { return size_; }
  StatusOr<size_t> Read(std::span<char> buf) override;
  Status Rewind() override {
    pos_ = 0;
    return Status::Ok();
  }

 private:
  std::shared_ptr<const std::string> block_;
  uint64_t size_, start_, pos_ = 0;
};

class CountingSink final : public http::BodySink {
 public:
  Status Write(std::string_view data) override {
    count_ += data.size();
    return Status::Ok();
  }
  bool Restart() override {
    count_ = 0;
    return true;
  }
  uint64_t count() const { return count_; }

 private:
  uint64_t count_ = 0;
};

}  // namespace gwsync::loadgen
