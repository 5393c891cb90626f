// The two INI files gwsync reads (config/config.h): s3cmd's ~/.s3cfg and the
// remotes file. Both readers take a path, so the input is written to an
// in-memory file (memfd) and read back through /proc/self/fd. Beside not
// crashing, an error must never quote a secret: the input's secret_key
// values (those shaped like real keys and written only once, so that no other
// line can quote them) are looked for in every message.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "config/config.h"
#include "fuzz_check.h"

namespace config = gwsync::config;

namespace {

// The value of every "secret_key = VALUE" line, blanks trimmed, that is 12 or
// more letters and digits and occurs nowhere else in `text`.
std::vector<std::string> Secrets(std::string_view text) {
  std::vector<std::string> out;
  gwsync::fuzz::Fields lines(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  while (!lines.empty()) {
    std::string_view line = lines.Next();
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || line.find("secret_key") == std::string_view::npos) continue;
    std::string_view v = line.substr(eq + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r'))
      v.remove_suffix(1);
    bool key_like = v.size() >= 12 && std::all_of(v.begin(), v.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c));
                    });
    if (key_like && text.find(v) == text.rfind(v)) out.emplace_back(v);
  }
  return out;
}

void CheckNoSecret(const gwsync::Status& s, const std::vector<std::string>& secrets) {
  if (s.ok()) return;
  for (const std::string& secret : secrets)
    FUZZ_CHECK(s.message().find(secret) == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static int fd = memfd_create("gwsync-config-fuzz", 0);
  static std::string path = "/proc/self/fd/" + std::to_string(fd);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(ftruncate(fd, 0) == 0);
  FUZZ_CHECK(pwrite(fd, data, size, 0) == static_cast<ssize_t>(size));

  std::vector<std::string> secrets =
      Secrets(std::string_view(reinterpret_cast<const char*>(data), size));
  CheckNoSecret(config::ReadS3cmdConfig(path).status(), secrets);
  CheckNoSecret(config::ReadRemotesFile(path, /*must_exist=*/true).status(), secrets);
  return 0;
}
