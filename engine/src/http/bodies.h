// Ready-made request and response bodies: in-memory strings, a byte range of
// a file (read with pread, so several ranges of one file can be in flight),
// and a file sink writing at an offset (pwrite, for ranged parallel GETs).
// Each object is used by one request at a time on the event-loop thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "http/request.h"

namespace gwsync::http {

class StringSource final : public BodySource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  uint64_t size() const override { return data_.size(); }
  StatusOr<size_t> Read(std::span<char> buf) override;
  Status Rewind() override {
    pos_ = 0;
    return Status::Ok();
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

// Reads [offset, offset+length) of an open file descriptor it does not own.
class FileRangeSource final : public BodySource {
 public:
  FileRangeSource(int fd, uint64_t offset, uint64_t length)
      : fd_(fd), offset_(offset), length_(length) {}
  uint64_t size() const override { return length_; }
  StatusOr<size_t> Read(std::span<char> buf) override;
  Status Rewind() override {
    pos_ = 0;
    return Status::Ok();
  }

 private:
  int fd_;
  uint64_t offset_, length_, pos_ = 0;
};

class StringSink final : public BodySink {
 public:
  Status Write(std::string_view data) override {
    data_.append(data);
    return Status::Ok();
  }
  bool Restart() override {
    data_.clear();
    return true;
  }
  std::string& data() { return data_; }

 private:
  std::string data_;
};

// Writes to an open descriptor it does not own, starting at `offset`, and
// counts what it wrote.
class FileSink final : public BodySink {
 public:
  FileSink(int fd, uint64_t offset) : fd_(fd), offset_(offset) {}
  Status Write(std::string_view data) override;
  uint64_t written() const { return written_; }
  bool Restart() override {
    written_ = 0;
    return true;
  }

 private:
  int fd_;
  uint64_t offset_;
  uint64_t written_ = 0;
};

}  // namespace gwsync::http
