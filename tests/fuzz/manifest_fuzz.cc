// A run manifest (manifest/manifest.h) as anyone who can write the file may
// leave it, read by `gwsync verify` and by a sync from a backup. The reader
// takes a path, so the input is written to an in-memory file (memfd) and
// read back through /proc/self/fd: once as it is, which mostly tests the
// zstd decoder's refusals, and once compressed by the harness, so that its
// lines reach the JSON records. Beside not crashing (an exception from the
// JSON library is a crash too: errors are a Status), what Next hands back is
// what manifest.h promises: keys in strictly ascending order; and memory
// follows what the file holds, not what a length field in it claims: no
// allocation of the reader's is over 16 MiB and twice the bytes the file
// decompresses to.
#include <sanitizer/allocator_interface.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "manifest/manifest.h"

namespace manifest = gwsync::manifest;

namespace {

constexpr size_t kMiB = 1 << 20;

size_t largest_allocation = 0;  // since the last reset: the reader runs on this thread only

void OnMalloc(const volatile void*, size_t size) {
  largest_allocation = std::max(largest_allocation, size);
}
void OnFree(const volatile void*) {}

// The bytes `bytes` decompresses to, up to an error or 256 MiB: what a reader
// may need to hold. (A window over 16 MiB is an error here: allocating
// zstd's default 128 MiB would slow every such input down tenfold.)
size_t Decompressed(std::string_view bytes) {
  static ZSTD_DCtx* dctx = [] {
    ZSTD_DCtx* d = ZSTD_createDCtx();
    ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 24);
    return d;
  }();
  static std::vector<char> out(ZSTD_DStreamOutSize());
  ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
  ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
  size_t total = 0;
  while (total < 256 * kMiB) {
    ZSTD_outBuffer o{out.data(), out.size(), 0};
    size_t r = ZSTD_decompressStream(dctx, &o, &in);
    total += o.pos;
    if (ZSTD_isError(r) || (o.pos == 0 && in.pos == in.size)) break;
  }
  return total;
}

void Read(int fd, const std::string& path, std::string_view bytes) {
  FUZZ_CHECK(ftruncate(fd, 0) == 0);
  FUZZ_CHECK(pwrite(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()));
  const size_t bound = 16 * kMiB + 2 * Decompressed(bytes);
  largest_allocation = 0;
  auto reader = manifest::Reader::Open(path);
  FUZZ_CHECK(largest_allocation <= bound);
  if (!reader.ok()) {
    FUZZ_CHECK(reader.status().code() == gwsync::StatusCode::kDataLoss);
    return;
  }
  manifest::Record record;
  std::string last_key;
  // Each record takes a line of its own: the input bounds the loop.
  for (size_t n = 0;; ++n) {
    FUZZ_CHECK(n <= bytes.size() + (64u << 20));
    auto more = (*reader)->Next(&record);
    FUZZ_CHECK(largest_allocation <= bound);
    if (!more.ok()) {
      FUZZ_CHECK(more.status().code() == gwsync::StatusCode::kDataLoss);
      return;
    }
    if (!*more) break;
    FUZZ_CHECK(n == 0 || last_key < record.key);
    last_key = record.key;
  }
  // At the end it stays at the end.
  auto again = (*reader)->Next(&record);
  FUZZ_CHECK(again.ok() && !*again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool hooked = __sanitizer_install_malloc_and_free_hooks(OnMalloc, OnFree) != 0;
  FUZZ_CHECK(hooked);
  static int fd = memfd_create("gwsync-manifest-fuzz", 0);
  static std::string path = "/proc/self/fd/" + std::to_string(fd);
  FUZZ_CHECK(fd >= 0);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Read(fd, path, text);

  std::vector<char> packed(ZSTD_compressBound(size));
  size_t n = ZSTD_compress(packed.data(), packed.size(), data, size, 1);
  FUZZ_CHECK(!ZSTD_isError(n));
  Read(fd, path, std::string_view(packed.data(), n));
  return 0;
}
