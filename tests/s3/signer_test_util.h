// What the signer tests share: the published vectors' times and
// credentials, and header lookups by case-insensitive name.
#pragma once

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <string_view>

#include "s3/signer.h"

namespace gwsync::s3::signer_test {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::year;

inline std::chrono::system_clock::time_point SuiteTime() {
  return sys_days{year{2015} / 8 / 30} + hours{12} + minutes{36};
}

inline std::chrono::system_clock::time_point S3DocTime() { return sys_days{year{2013} / 5 / 24}; }

inline Credentials SuiteCredentials() {
  return {.access_key = "AKIDEXAMPLE", .secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
}

inline Credentials S3DocCredentials() {
  return {.access_key = "AKIAIOSFODNN7EXAMPLE",
          .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
}

constexpr std::string_view kSuiteStsToken =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSP"
    "fIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT"
    "7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKml"
    "zm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

inline bool SameName(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

inline int CountHeader(const http::Headers& headers, std::string_view name) {
  int n = 0;
  for (const auto& h : headers) n += SameName(h.first, name) ? 1 : 0;
  return n;
}

inline std::string Header(const http::Headers& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (SameName(h.first, name)) return h.second;
  }
  return "<absent>";
}

}  // namespace gwsync::s3::signer_test
