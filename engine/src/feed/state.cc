#include "feed/state.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fileio/files.h"

namespace gwsync::feed {

StatusOr<std::optional<FeedState>> LoadFeedState(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::optional<FeedState>();
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("feed state '" + path + "' is not a JSON object");
  }
  FeedState s;
  s.feed = j.value("feed", "");
  s.marker = j.value("marker", "");
  s.last_full = j.value("last_full", int64_t{0});
  return std::optional<FeedState>(s);
}

Status SaveFeedState(const std::string& path, const FeedState& state) {
  std::error_code ec;
  const auto folder = std::filesystem::path(path).parent_path();
  std::filesystem::create_directories(folder, ec);
  std::filesystem::permissions(folder, std::filesystem::perms::owner_all, ec);
  nlohmann::json j = {
      {"feed", state.feed}, {"marker", state.marker}, {"last_full", state.last_full}};
  return fileio::WriteFileAtomically(path, j.dump() + "\n", 0600);
}

}  // namespace gwsync::feed
