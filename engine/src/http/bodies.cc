#include "http/bodies.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "fileio/errno_status.h"

namespace gwsync::http {

bool HeaderNameEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (HeaderNameEquals(k, name)) return v;
  }
  return {};
}

StatusOr<size_t> StringSource::Read(std::span<char> buf) {
  size_t n = std::min(buf.size(), data_.size() - pos_);
  std::memcpy(buf.data(), data_.data() + pos_, n);
  pos_ += n;
  return n;
}

StatusOr<size_t> FileRangeSource::Read(std::span<char> buf) {
  size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), length_ - pos_));
  if (want == 0) return size_t{0};
  ssize_t n;
  do {
    n = pread(fd_, buf.data(), want, static_cast<off_t>(offset_ + pos_));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fileio::ErrnoStatus("read failed", errno);
  if (n == 0) return DataLoss("file shrank while being read");
  pos_ += static_cast<uint64_t>(n);
  return static_cast<size_t>(n);
}

Status FileSink::Write(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset_ + written_));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fileio::ErrnoStatus("write failed", errno);
    written_ += static_cast<uint64_t>(n);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace gwsync::http
