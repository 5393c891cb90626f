// A listing's pages as a gateway sends them (ListBucketResult bodies, read by
// s3/xml.h) checked by s3/page_check.h, in the loop ForEachObject runs. The
// input is a few setting lines, a NUL, then the page bodies, NUL-separated:
//
//   prefix \n delimiter \n list limit (a number) \n flags
//
// flags: '1' continues from NextMarker (V1) instead of the token; 'g' serves
// pages as a gateway whose answer depends only on the token asked with (the
// token names a page: its number, or a hash), so that a token seen twice
// starts the same cycle again; otherwise the pages come in order whatever
// the tokens. Beside not crashing, what the checker accepts must be what
// page_check.h promises: names in strictly ascending order, under the
// prefix, folders of the level listed, within the budget; a token the same
// as the last one stops; and a listing always ends, a cycling gateway's
// within three times the pages it has.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "s3/page_check.h"
#include "s3/xml.h"

namespace s3 = gwsync::s3;

namespace {

constexpr size_t kMaxPages = 64;

// Which page a token-driven gateway answers `token` with.
size_t PageFor(std::string_view token, size_t pages) {
  size_t n = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), n);
  if (ec != std::errc() || end != token.data() + token.size()) {
    n = 14695981039346656037u;  // FNV-1a
    for (char c : token) n = (n ^ static_cast<unsigned char>(c)) * 1099511628211u;
  }
  return n % pages;
}

// What the checker let through, kept apart from it.
struct Accepted {
  std::optional<std::string> last_name;
  std::optional<std::string> last_token;
  uint64_t keys = 0, folders = 0;
};

void CheckAccepted(const s3::ListPage& page, const std::string& next, const std::string& prefix,
                   const std::string& delimiter, Accepted* seen) {
  std::vector<std::string> names;
  for (size_t i = 0; i < page.objects.size(); ++i) {
    const std::string& key = page.objects[i].key;
    FUZZ_CHECK(i == 0 || page.objects[i - 1].key < key);
    names.push_back(key);
  }
  for (size_t i = 0; i < page.common_prefixes.size(); ++i) {
    const std::string& folder = page.common_prefixes[i];
    FUZZ_CHECK(i == 0 || page.common_prefixes[i - 1] < folder);
    if (!delimiter.empty()) {
      FUZZ_CHECK(folder.size() > prefix.size() && folder.ends_with(delimiter));
    }
    names.push_back(folder);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    FUZZ_CHECK(name.starts_with(prefix));
    FUZZ_CHECK(!seen->last_name || *seen->last_name < name);  // strictly: no name twice
    seen->last_name = name;
  }
  seen->keys += page.objects.size();
  seen->folders += page.common_prefixes.size();
  if (page.truncated) {
    FUZZ_CHECK(!next.empty());
    FUZZ_CHECK(!seen->last_token || *seen->last_token != next);
    seen->last_token = next;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gwsync::fuzz::Fields fields(data, size);
  std::string_view settings_text = fields.Next('\0');
  gwsync::fuzz::Fields settings(reinterpret_cast<const uint8_t*>(settings_text.data()),
                                settings_text.size());
  std::string prefix(settings.Next()), delimiter(settings.Next());
  std::string_view limit_text = settings.Next();
  uint64_t limit = 0;
  std::from_chars(limit_text.data(), limit_text.data() + limit_text.size(), limit);
  limit = 1 + limit % 256;  // small enough for the fuzzer to reach
  std::string_view flags = settings.Next();
  const bool v1 = flags.find('1') != std::string_view::npos;
  const bool by_token = flags.find('g') != std::string_view::npos;

  std::vector<std::string_view> bodies;
  while (!fields.empty() && bodies.size() < kMaxPages) bodies.push_back(fields.Next('\0'));
  if (bodies.empty()) return 0;

  auto budget = std::make_shared<s3::ListBudget>(std::nullopt, limit);
  FUZZ_CHECK(budget->limit() == limit);
  s3::PageCheck check(prefix, delimiter, budget);
  Accepted seen;
  // A page that repeats keys is refused, an empty one counts towards
  // kMaxEmptyPages, so no listing gets far past its budget: this is a hang.
  const uint64_t kNoEnd = (2 * limit + 1) * (s3::PageCheck::kMaxEmptyPages + 1) + 1;
  size_t at = 0;
  uint64_t served = 0;
  bool ended = false;
  while (served < kNoEnd) {
    ++served;
    auto page = s3::xml::ParseListObjects(bodies[at]);
    if (!page.ok()) {
      ended = true;  // the listing fails with the parser's error
      break;
    }
    std::string next = v1 ? page->next_marker : page->next_token;
    if (!check.Check(*page, next).ok()) {
      ended = true;
      break;
    }
    CheckAccepted(*page, next, prefix, delimiter, &seen);
    FUZZ_CHECK(seen.keys <= limit && seen.folders <= limit);
    if (!page->truncated) {
      ended = true;
      break;
    }
    if (by_token) {
      at = PageFor(next, bodies.size());
    } else if (++at == bodies.size()) {
      ended = true;  // the gateway has nothing more to say
      break;
    }
  }
  FUZZ_CHECK(ended);
  // A gateway whose answer follows from the token is in one of
  // bodies.size() states: a cycle (Brent) is seen within about three rounds.
  if (by_token) FUZZ_CHECK(served <= 3 * bodies.size() + 2);

  // A budget from the bucket's count: twice it and the margin, saturating.
  uint64_t count = 0;
  if (size >= 8) std::memcpy(&count, data + size - 8, 8);
  uint64_t from_count = s3::ListBudget(count, 0).limit();
  FUZZ_CHECK(from_count >= s3::ListBudget::kMargin);
  FUZZ_CHECK(from_count == UINT64_MAX || from_count / 2 >= count);
  return 0;
}
