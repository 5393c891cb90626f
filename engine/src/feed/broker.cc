#include "feed/broker.h"

#include <cctype>
#include <cstdlib>
#include <fstream>

namespace gwsync::feed {
namespace {

std::string PercentDecode(const std::string& s, bool* ok) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    auto hex = [](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (i + 2 >= s.size() || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0) {
      *ok = false;
      return out;
    }
    out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
    i += 2;
  }
  return out;
}

std::string PercentEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string BrokerAddress::Url() const {
  return "amqp://" + host + ":" + std::to_string(port) + "/" + PercentEncode(vhost);
}

std::string FeedAddress::Url() const { return broker.Url() + "?queue=" + PercentEncode(queue); }

StatusOr<BrokerAddress> ParseBrokerUrl(const std::string& url) {
  const std::string scheme = "amqp://";
  if (url.rfind(scheme, 0) != 0) {
    return InvalidArgument("'" + url +
                           "' is not a broker URL: expected amqp://HOST[:PORT][/VHOST]" +
                           (url.rfind("amqps://", 0) == 0 ? " (amqps is not supported yet)" : ""));
  }
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (authority.find('@') != std::string::npos) {
    return InvalidArgument(
        "the broker URL carries a user or password: give them in a file (--broker-credentials "
        "FILE) or in GWSYNC_AMQP_USER and GWSYNC_AMQP_PASSWORD, never on the command line");
  }
  BrokerAddress a;
  size_t colon = authority.rfind(':');
  a.host = authority.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string port = authority.substr(colon + 1);
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || p < 1 || p > 65535) {
      return InvalidArgument("'" + url + "': bad port '" + port + "'");
    }
    a.port = static_cast<int>(p);
  }
  if (a.host.empty()) return InvalidArgument("'" + url + "': no host");
  bool ok = true;
  if (!path.empty()) a.vhost = PercentDecode(path, &ok);
  if (!ok) return InvalidArgument("'" + url + "': bad %-escape in the vhost");
  return a;
}

StatusOr<FeedAddress> ParseFeedUrl(const std::string& url) {
  size_t q = url.find("?queue=");
  if (q == std::string::npos) {
    return InvalidArgument("'" + url +
                           "' names no queue: expected amqp://HOST[:PORT][/VHOST]?queue=QUEUE "
                           "(as `gwsync feed setup` prints it)");
  }
  FeedAddress f;
  ASSIGN_OR_RETURN(f.broker, ParseBrokerUrl(url.substr(0, q)));
  bool ok = true;
  f.queue = PercentDecode(url.substr(q + 7), &ok);
  if (!ok || f.queue.empty()) return InvalidArgument("'" + url + "': bad queue name");
  return f;
}

StatusOr<BrokerCredentials> ResolveBrokerCredentials(
    const std::string& file, const std::function<std::optional<std::string>(const char*)>& env) {
  BrokerCredentials c;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return NotFound("cannot read broker credentials file '" + file + "'");
    std::string first, second;
    std::getline(in, first);
    std::getline(in, second);
    size_t colon = first.find(':');
    if (second.empty() && colon != std::string::npos) {
      c.user = first.substr(0, colon);
      c.password = first.substr(colon + 1);
    } else {
      c.user = first;
      c.password = second;
    }
    if (c.user.empty()) {
      return InvalidArgument("broker credentials file '" + file +
                             "' names no user: write USER:PASSWORD on its first line");
    }
    c.given = true;
    return c;
  }
  auto user = env("GWSYNC_AMQP_USER");
  auto password = env("GWSYNC_AMQP_PASSWORD");
  if (user && !user->empty()) {
    c.user = *user;
    c.password = password.value_or("");
    c.given = true;
  } else if (password && !password->empty()) {
    return InvalidArgument("GWSYNC_AMQP_PASSWORD is set but GWSYNC_AMQP_USER is not");
  }
  return c;
}

}  // namespace gwsync::feed
