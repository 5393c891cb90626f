// One gateway exchange mapped onto a Status (s3/errors.h). The input is an
// HTTP status line ("404"), header lines ("name: value") up to an empty
// line, and the body. Beside not crashing, the message must be what errors.h
// promises: one line, bounded, never quoting a header other than the request
// id (a planted Authorization header stands for a secret), and OK exactly
// for 2xx.
#include <cctype>
#include <charconv>
#include <string>

#include "fuzz_check.h"
#include "s3/errors.h"

namespace {

constexpr std::string_view kSecret = "FUZZ-SECRET-AUTHORIZATION";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gwsync::fuzz::Fields fields(data, size);
  gwsync::http::Response response;
  std::string_view status_line = fields.Next();
  std::from_chars(status_line.data(), status_line.data() + status_line.size(), response.status);
  response.headers.emplace_back("authorization", kSecret);
  while (!fields.empty()) {
    std::string_view line = fields.Next();
    if (line.empty()) break;
    size_t colon = line.find(':');
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    while (value.starts_with(' ')) value.remove_prefix(1);
    response.headers.emplace_back(std::move(name), std::string(value));
  }
  response.body = std::string(fields.rest());

  gwsync::Status s = gwsync::s3::StatusFromResponse(response, "s3://b/k");
  FUZZ_CHECK(s.ok() == (response.status >= 200 && response.status < 300));
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.find(kSecret) == std::string_view::npos) {
    FUZZ_CHECK(s.message().find(kSecret) == std::string::npos);
  }
  for (char c : s.message()) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F);
  FUZZ_CHECK(s.message().size() <= 1024);
  (void)gwsync::s3::CodeForS3Error(response.body, response.status);
  return 0;
}
