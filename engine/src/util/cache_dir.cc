#include "util/cache_dir.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace gwsync::util {

std::string CacheDir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/gwsync";
  std::string home;
  if (const char* h = std::getenv("HOME"); h != nullptr && h[0] != '\0') {
    home = h;
  } else if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    home = pw->pw_dir;
  } else {
    home = ".";
  }
  return home + "/.cache/gwsync";
}

}  // namespace gwsync::util
