// What the harnesses in tests/fuzz share: a check that stops the fuzzer with
// the broken promise named, and a reader that cuts an input into fields.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

// Aborts (libFuzzer then saves the input as crash-*) when a promise a header
// makes does not hold; a crash or a sanitizer report needs no check.
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

namespace gwsync::fuzz {

// The input as text, taken field by field up to a separator.
class Fields {
 public:
  Fields(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}
  bool empty() const { return rest_.empty(); }
  std::string_view rest() const { return rest_; }
  // The text up to the next `sep` (or the end), which is consumed.
  std::string_view Next(char sep = '\n') {
    size_t at = rest_.find(sep);
    std::string_view field = rest_.substr(0, at);
    rest_ = at == std::string_view::npos ? std::string_view() : rest_.substr(at + 1);
    return field;
  }

 private:
  std::string_view rest_;
};

}  // namespace gwsync::fuzz
