#include "loadgen/body.h"

#include <algorithm>
#include <cstring>
#include <random>

namespace gwsync::loadgen {

std::shared_ptr<const std::string> PatternBlock() {
  static const std::shared_ptr<const std::string> block = [] {
    std::string data(1 << 20, '\0');
    std::mt19937_64 rng(0x6277737963ull);
    for (size_t i = 0; i + 8 <= data.size(); i += 8) {
      uint64_t v = rng();
      std::memcpy(&data[i], &v, 8);
    }
    return std::make_shared<const std::string>(std::move(data));
  }();
  return block;
}

StatusOr<size_t> PatternSource::Read(std::span<char> buf) {
  size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size_ - pos_));
  size_t done = 0;
  while (done < n) {
    size_t at = static_cast<size_t>((start_ + pos_ + done) % block_->size());
    size_t len = std::min(n - done, block_->size() - at);
    std::memcpy(buf.data() + done, block_->data() + at, len);
    done += len;
  }
  pos_ += n;
  return n;
}

}  // namespace gwsync::loadgen
