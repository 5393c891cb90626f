#include "config/config.h"

#include <cctype>
#include <cstdlib>
#include <string_view>

#include "config/ini_file.h"

namespace gwsync::config {
namespace {

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// s3cmd's spelling of booleans, in any case.
std::optional<bool> ParseBool(std::string_view v) {
  std::string lower(v);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "1") return true;
  if (lower == "false" || lower == "no" || lower == "off" || lower == "0") return false;
  return std::nullopt;
}

// s3cmd drops one pair of double quotes around a value.
std::string_view Unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

// libinih keeps at most this many characters of a section name.
constexpr size_t kMaxSectionName = 49;

}  // namespace

StatusOr<S3cmdConfig> ReadS3cmdConfig(const std::string& path) {
  S3cmdConfig cfg;
  RETURN_IF_ERROR(ReadIniFile(path, "config file", [&cfg](const IniEntry& e) -> Status {
    if (!e.section.empty() && Trim(e.section) != "default") return Status::Ok();
    std::string* text = e.name == "access_key"    ? &cfg.access_key
                        : e.name == "secret_key"  ? &cfg.secret_key
                        : e.name == "host_base"   ? &cfg.host_base
                        : e.name == "host_bucket" ? &cfg.host_bucket
                                                  : nullptr;
    std::optional<bool>* flag = e.name == "use_https"      ? &cfg.use_https
                                : e.name == "signature_v2" ? &cfg.signature_v2
                                                           : nullptr;
    if (!text && !flag) return Status::Ok();  // one of s3cmd's other settings
    if (e.truncated) return LineTooLong(e);
    std::string_view value = Unquote(e.value);
    if (text) {
      *text = std::string(value);
      return Status::Ok();
    }
    *flag = ParseBool(value);
    if (!*flag) {
      return InvalidArgument(std::string(e.name) + " must be True or False, not '" +
                             std::string(value) + "'");
    }
    return Status::Ok();
  }));
  return cfg;
}

StatusOr<std::map<std::string, RemoteConfig>> ReadRemotesFile(const std::string& path,
                                                              bool must_exist) {
  std::map<std::string, RemoteConfig> remotes;
  Status read = ReadIniFile(path, "remotes file", [&remotes](const IniEntry& e) -> Status {
    std::string_view section = Trim(e.section);
    if (section.starts_with("remote ")) section = Trim(section.substr(7));
    if (section.empty()) {
      return InvalidArgument("'" + std::string(e.name) + "' is outside a [NAME] section");
    }
    if (e.section.size() >= kMaxSectionName) {
      return InvalidArgument("the section name is longer than " +
                             std::to_string(kMaxSectionName - 1) + " characters");
    }
    RemoteConfig& r = remotes[std::string(section)];
    std::string value(e.value);
    if (e.name == "endpoint") {
      if (value.empty()) return InvalidArgument("endpoint is empty");
      r.endpoints.push_back(value);
    } else if (e.name == "access_key") {
      r.access_key = value;
    } else if (e.name == "secret_key") {
      r.secret_key = value;
    } else if (e.name == "signature") {
      if (!value.empty() && value != "v2" && value != "v4") {
        return InvalidArgument("signature must be v2 or v4, not '" + value + "'");
      }
      r.signature = value;
    } else if (e.name == "region") {
      r.region = value;
    } else {
      return InvalidArgument("unknown setting '" + std::string(e.name) +
                             "' (expected endpoint, access_key, secret_key, signature or region)");
    }
    if (e.truncated) return LineTooLong(e);
    return Status::Ok();
  });
  if (read.code() == StatusCode::kNotFound && !must_exist) return remotes;
  RETURN_IF_ERROR(read);
  return remotes;
}

std::string DefaultRemotesPath() {
  if (const char* p = std::getenv("GWSYNC_REMOTES"); p && *p) return p;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/gwsync/remotes.conf";
  }
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.config/gwsync/remotes.conf";
}

}  // namespace gwsync::config
