#include "s3/url.h"

#include <arpa/inet.h>

#include <charconv>

namespace gwsync {

std::string S3Url::ToString() const { return "s3://" + bucket + (key.empty() ? "" : "/" + key); }

bool IsS3Url(std::string_view arg) { return arg.starts_with("s3:"); }

StatusOr<S3Url> ParseS3Url(std::string_view url) {
  auto malformed = [&](std::string_view why) {
    return InvalidArgument("malformed S3 URL '" + std::string(url) + "': " + std::string(why));
  };
  if (!url.starts_with("s3://")) return malformed("expected s3://BUCKET[/KEY]");
  std::string_view rest = url.substr(5);
  S3Url out;
  size_t slash = rest.find('/');
  out.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) out.key = std::string(rest.substr(slash + 1));
  if (out.bucket.empty()) {
    if (!out.key.empty() || slash != std::string_view::npos) {
      return malformed("missing bucket name (expected s3://BUCKET[/KEY])");
    }
    return out;
  }
  Status valid = s3::ValidateBucketName(out.bucket);
  if (!valid.ok()) return malformed(valid.message());
  return out;
}

}  // namespace gwsync

namespace gwsync::s3 {

Status ValidateBucketName(std::string_view bucket) {
  if (bucket.empty() || bucket.size() > 255) {
    return InvalidArgument("invalid bucket name '" + std::string(bucket) +
                           "': must be 1 to 255 characters");
  }
  for (char c : bucket) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return InvalidArgument("invalid bucket name '" + std::string(bucket) +
                             "': only letters, digits, '.', '_' and '-' are allowed");
    }
  }
  return Status::Ok();
}

bool VirtualHostAddressable(std::string_view bucket, const Endpoint& endpoint) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  char prev = '.';  // a label may not start with '-' or '.'
  for (char c : bucket) {
    if (!alnum(c) && c != '-' && c != '.') return false;
    if (c == '.' && !alnum(prev)) return false;  // "..", "-."
    if (c == '-' && prev == '.') return false;   // ".-"
    prev = c;
  }
  if (!alnum(prev)) return false;
  if (endpoint.scheme == "https" && bucket.find('.') != std::string_view::npos) return false;
  if (endpoint.host.starts_with('[')) return false;  // IPv6
  in_addr v4;
  return inet_pton(AF_INET, endpoint.host.c_str(), &v4) != 1;
}

std::string Endpoint::HostHeader() const {
  if (port == 0) return host;
  return host + ":" + std::to_string(port);
}

std::string Endpoint::BaseUrl() const { return scheme + "://" + HostHeader(); }

StatusOr<Endpoint> ParseEndpoint(std::string_view url, bool default_https) {
  auto malformed = [&](std::string_view why) {
    return InvalidArgument("malformed endpoint '" + std::string(url) + "': " + std::string(why));
  };
  Endpoint ep;
  ep.scheme = default_https ? "https" : "http";
  std::string_view rest = url;
  size_t sep = rest.find("://");
  if (sep != std::string_view::npos) {
    ep.scheme = std::string(rest.substr(0, sep));
    if (ep.scheme != "http" && ep.scheme != "https") {
      return malformed("the scheme must be http or https");
    }
    rest = rest.substr(sep + 3);
  }
  while (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return malformed("a path is not supported");
  if (rest.empty()) return malformed("missing host");
  std::string_view host = rest, port;
  if (rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return malformed("unclosed '[' in IPv6 address");
    host = rest.substr(0, close + 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return malformed("unexpected text after the address");
      port = rest.substr(close + 2);
    }
  } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return malformed("missing host");
  for (char c : host) {
    if (c == ' ' || c == '@' || c == '?' || c == '#') return malformed("invalid host");
  }
  ep.host = std::string(host);
  if (!port.empty() || rest.back() == ':') {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p <= 0 || p > 65535) {
      return malformed("invalid port '" + std::string(port) + "'");
    }
    ep.port = p;
  }
  return ep;
}

}  // namespace gwsync::s3
