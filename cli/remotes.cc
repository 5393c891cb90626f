#include "cli/remotes.h"

#include <cstdlib>
#include <fstream>

namespace gwsync::cli {

// Reads "[NAME]" sections with endpoint/access_key/secret_key/signature/region.
StatusOr<std::map<std::string, sync::RemoteCluster>> ReadRemotes(const std::string& path,
                                                                 bool must_exist) {
  std::map<std::string, sync::RemoteCluster> out;
  std::ifstream in(path);
  if (!in) {
    if (must_exist) return NotFound("cannot read remotes file '" + path + "'");
    return out;
  }
  std::string line, section;
  auto trim = [](std::string s) {
    size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = trim(line.substr(1, line.size() - 2));
      if (section.starts_with("remote ")) section = trim(section.substr(7));
      out[section];
      continue;
    }
    size_t eq = line.find('=');
    if (section.empty() || eq == std::string::npos) continue;
    std::string k = trim(line.substr(0, eq)), v = trim(line.substr(eq + 1));
    sync::RemoteCluster& r = out[section];
    if (k == "endpoint") r.endpoints.push_back(v);
    if (k == "access_key") r.access_key = v;
    if (k == "secret_key") r.secret_key = v;
    if (k == "signature") r.signature = v;
    if (k == "region") r.region = v;
  }
  return out;
}

std::string DefaultRemotesPath() {
  if (const char* p = std::getenv("GWSYNC_REMOTES")) return p;
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  if (xdg && *xdg) return std::string(xdg) + "/gwsync/remotes.conf";
  return std::string(home ? home : ".") + "/.config/gwsync/remotes.conf";
}

}  // namespace gwsync::cli
