// Text the fake gateway (fake_s3.h) writes: XML escapes, S3's url encoding
// of listed keys, dates, ETags. Pure functions; private to fake_s3*.cc.
#pragma once

#include <cctype>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "hash/hash.h"

namespace gwsync::testing::fake_s3 {

inline constexpr char kXmlHead[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
inline constexpr char kXmlns[] = " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";

inline int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// EncodingType=url as AWS writes it: unreserved bytes and '/' as they are,
// a space as '+', anything else %XX.
inline std::string UrlEncodeListed(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

inline std::string FormatTime(int64_t seconds, const char* format) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}
inline std::string IsoDate(int64_t s) { return FormatTime(s, "%Y-%m-%dT%H:%M:%S.000Z"); }
inline std::string HttpDate(int64_t s) { return FormatTime(s, "%a, %d %b %Y %H:%M:%S GMT"); }

inline std::string Quoted(const std::string& etag) { return "\"" + etag + "\""; }
inline std::string Unquoted(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

// S3's multipart ETag: the MD5 of the parts' binary MD5s, then "-N".
inline std::string MultipartEtag(const std::vector<std::string>& part_md5_hex) {
  std::string joined;
  for (const auto& hex : part_md5_hex) {
    std::string bin;
    hash::FromHex(hex, &bin);
    joined += bin;
  }
  return hash::Hex(hash::Md5(joined)) + "-" + std::to_string(part_md5_hex.size());
}

}  // namespace gwsync::testing::fake_s3
