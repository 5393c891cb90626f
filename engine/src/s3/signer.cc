#include "s3/signer.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <initializer_list>
#include <iterator>
#include <span>
#include <utility>
#include <vector>

#include "hash/hash.h"

namespace gwsync::s3 {
namespace {

constexpr std::string_view kV4Algorithm = "AWS4-HMAC-SHA256";

std::string_view AsKeyChars(const hash::Sha256Digest& d) {
  return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

// The SigV4 signing key changes once a day per secret, region and service:
// derive it once (four HMACs) and keep it per thread.
hash::Sha256Digest SigningKey(const std::string& secret, const std::string& date,
                              const V4Scope& scope) {
  struct Cached {
    std::string secret, date, region, service;
    hash::Sha256Digest key{};
  };
  thread_local Cached cache;
  if (cache.secret != secret || cache.date != date || cache.region != scope.region ||
      cache.service != scope.service) {
    hash::Sha256Digest key = hash::HmacSha256("AWS4" + secret, date);
    key = hash::HmacSha256(AsKeyChars(key), scope.region);
    key = hash::HmacSha256(AsKeyChars(key), scope.service);
    key = hash::HmacSha256(AsKeyChars(key), "aws4_request");
    cache = {secret, date, scope.region, scope.service, key};
  }
  return cache.key;
}

// The query parameters SigV2 puts in the CanonicalizedResource; every other
// parameter is left out of the signature.
constexpr std::string_view kV2SubResources[] = {
    "acl",
    "cors",
    "delete",
    "lifecycle",
    "location",
    "logging",
    "notification",
    "partNumber",
    "policy",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
};

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Trims and squeezes each run of whitespace to one space.
std::string Squeeze(std::string_view s) {
  std::string out;
  for (char c : Trim(s)) {
    if (IsSpace(c)) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// SigV4's header value form. Lines of an obsolete folded value count as
// separate values, as AWS's get-header-value-multiline vector expects.
std::string V4HeaderValue(std::string_view value) {
  std::string out;
  bool first = true;
  size_t start = 0;
  while (start <= value.size()) {
    size_t end = value.find('\n', start);
    if (end == std::string_view::npos) end = value.size();
    std::string line = Squeeze(value.substr(start, end - start));
    if (!line.empty() || (first && end == value.size())) {
      if (!first) out.push_back(',');
      out += line;
      first = false;
    }
    start = end + 1;
  }
  return out;
}

// SigV2 unfolds a folded value into one line and trims its ends.
std::string V2HeaderValue(std::string_view value) {
  std::string out;
  std::string_view trimmed = Trim(value);
  for (size_t i = 0; i < trimmed.size(); ++i) {
    if (trimmed[i] == '\r' || trimmed[i] == '\n') {
      while (i + 1 < trimmed.size() && IsSpace(trimmed[i + 1])) ++i;
      out.push_back(' ');
    } else {
      out.push_back(trimmed[i]);
    }
  }
  return out;
}

bool HasHeader(const http::Headers& headers, std::string_view lower_name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return ToLower(h.first) == lower_name; });
}

std::string_view HeaderValue(const http::Headers& headers, std::string_view lower_name) {
  for (const auto& [name, value] : headers) {
    if (ToLower(name) == lower_name) return value;
  }
  return {};
}

void RemoveHeaders(http::Headers* headers, std::initializer_list<std::string_view> lower_names) {
  std::erase_if(*headers, [&](const auto& h) {
    std::string name = ToLower(h.first);
    return std::find(lower_names.begin(), lower_names.end(), name) != lower_names.end();
  });
}

// Lower-cased names sorted (stably: same-name values keep their order) and
// same-name values joined with ','. `value_form` canonicalises one value.
template <typename ValueForm>
std::vector<std::pair<std::string, std::string>> MergeHeaders(
    std::vector<std::pair<std::string, std::string>> headers, ValueForm value_form) {
  for (auto& [name, value] : headers) {
    name = ToLower(name);
    value = value_form(value);
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, std::string>> merged;
  for (auto& [name, value] : headers) {
    if (!merged.empty() && merged.back().first == name) {
      merged.back().second += ',';
      merged.back().second += value;
    } else {
      merged.emplace_back(std::move(name), std::move(value));
    }
  }
  return merged;
}

std::string_view AsChars(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::tm UtcTime(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

}  // namespace

std::string AmzDate(std::chrono::system_clock::time_point t) {
  std::tm tm = UtcTime(t);
  char buf[96];  // room for any int, which keeps -Wformat-truncation quiet
  std::snprintf(buf, sizeof(buf), "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string HttpDate(std::chrono::system_clock::time_point t) {
  // Spelled out rather than strftime'd so the locale cannot change them.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm = UtcTime(t);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

V4Trace SignV4(SignableRequest* req, const Credentials& creds, const V4Scope& scope,
               std::chrono::system_clock::time_point now, bool add_content_sha256) {
  const std::string amz_date = AmzDate(now);
  const std::string date = amz_date.substr(0, 8);
  const std::string payload_hash =
      req->payload_hash.empty() ? std::string(kEmptyPayloadHash) : req->payload_hash;

  // Replace what an earlier signing added, so a request can be signed again.
  RemoveHeaders(&req->headers, {"authorization", "x-amz-date"});
  req->headers.emplace_back("x-amz-date", amz_date);
  if (add_content_sha256) {
    RemoveHeaders(&req->headers, {"x-amz-content-sha256"});
    req->headers.emplace_back("x-amz-content-sha256", payload_hash);
  }
  if (!creds.session_token.empty()) {
    RemoveHeaders(&req->headers, {"x-amz-security-token"});
    req->headers.emplace_back("x-amz-security-token", creds.session_token);
  }

  // curl sends req->host as Host unless the caller set a Host header itself.
  http::Headers to_sign = req->headers;
  if (!HasHeader(to_sign, "host")) to_sign.emplace_back("host", req->host);
  auto canonical = MergeHeaders(std::move(to_sign), V4HeaderValue);

  std::string canonical_headers;
  std::string signed_headers;
  for (const auto& [name, value] : canonical) {
    canonical_headers += name + ":" + value + "\n";
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += name;
  }

  V4Trace trace;
  trace.canonical_request = req->method + "\n" +
                            (req->encoded_path.empty() ? "/" : req->encoded_path) + "\n" +
                            CanonicalQuery(req->query) + "\n" + canonical_headers + "\n" +
                            signed_headers + "\n" + payload_hash;

  const std::string credential_scope =
      date + "/" + scope.region + "/" + scope.service + "/aws4_request";
  trace.string_to_sign = std::string(kV4Algorithm) + "\n" + amz_date + "\n" + credential_scope +
                         "\n" + hash::Sha256Hex(trace.canonical_request);

  const hash::Sha256Digest key = SigningKey(creds.secret_key, date, scope);
  const std::string signature = hash::Hex(hash::HmacSha256(AsChars(key), trace.string_to_sign));

  trace.authorization = std::string(kV4Algorithm) + " Credential=" + creds.access_key + "/" +
                        credential_scope + ", SignedHeaders=" + signed_headers +
                        ", Signature=" + signature;
  req->headers.emplace_back("Authorization", trace.authorization);
  return trace;
}

std::string SignV2(SignableRequest* req, const Credentials& creds,
                   std::chrono::system_clock::time_point now) {
  RemoveHeaders(&req->headers, {"authorization"});
  if (!creds.session_token.empty()) {
    RemoveHeaders(&req->headers, {"x-amz-security-token"});
    req->headers.emplace_back("x-amz-security-token", creds.session_token);
  }
  const bool has_amz_date = HasHeader(req->headers, "x-amz-date");
  if (!has_amz_date && !HasHeader(req->headers, "date")) {
    req->headers.emplace_back("Date", HttpDate(now));
  }

  http::Headers amz;
  for (const auto& header : req->headers) {
    if (ToLower(header.first).starts_with("x-amz-")) amz.push_back(header);
  }

  std::string sts = req->method + "\n";
  sts += std::string(Trim(HeaderValue(req->headers, "content-md5"))) + "\n";
  sts += std::string(Trim(HeaderValue(req->headers, "content-type"))) + "\n";
  // With x-amz-date present the server ignores Date and reads x-amz-date below.
  if (!has_amz_date) sts += std::string(Trim(HeaderValue(req->headers, "date")));
  sts += "\n";
  for (const auto& [name, value] : MergeHeaders(std::move(amz), V2HeaderValue)) {
    sts += name + ":" + value + "\n";
  }

  sts += req->encoded_path.empty() ? "/" : req->encoded_path;
  QueryParams sub;
  for (const auto& param : req->query) {
    if (std::find(std::begin(kV2SubResources), std::end(kV2SubResources), param.first) !=
        std::end(kV2SubResources)) {
      sub.push_back(param);
    }
  }
  std::stable_sort(sub.begin(), sub.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < sub.size(); ++i) {
    sts += i == 0 ? '?' : '&';
    sts += sub[i].first;
    if (!sub[i].second.empty()) sts += "=" + sub[i].second;
  }

  const std::string signature = hash::Base64(hash::HmacSha1(creds.secret_key, sts));
  req->headers.emplace_back("Authorization", "AWS " + creds.access_key + ":" + signature);
  return sts;
}

}  // namespace gwsync::s3
