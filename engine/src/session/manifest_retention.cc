#include "session/manifest_retention.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "fileio/state_dir.h"
#include "manifest/manifest.h"
#include "plan/plan.h"

namespace gwsync::session {
namespace {

constexpr std::string_view kPrefix = "manifest-";
constexpr std::string_view kSuffix = ".jsonl.zst";

// Whether `text` has `shape`'s form, 'd' standing for any digit.
bool Shaped(std::string_view text, std::string_view shape) {
  if (text.size() != shape.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    bool digit = std::isdigit(static_cast<unsigned char>(text[i]));
    if (shape[i] == 'd' ? !digit : text[i] != shape[i]) return false;
  }
  return true;
}

// "20261128T100000.123Z", as manifest::StampNow writes it.
bool IsRunId(std::string_view run) { return Shaped(run, "ddddddddTdddddd.dddZ"); }

// "share-I-of-N".
bool IsShare(std::string_view s) {
  if (!s.starts_with("share-")) return false;
  s.remove_prefix(6);
  size_t of = s.find("-of-");
  if (of == 0 || of == std::string_view::npos || of + 4 == s.size()) return false;
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return digits(s.substr(0, of)) && digits(s.substr(of + 4));
}

struct Parsed {
  std::string run;
  bool share = false;
};

// A run manifest's run and whether it is a share's; nullopt for anything else.
std::optional<Parsed> Parse(std::string_view name) {
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return std::nullopt;
  name = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  Parsed p;
  if (size_t dash = name.find('-'); dash != std::string_view::npos) {
    if (!IsShare(name.substr(dash + 1))) return std::nullopt;
    p.share = true;
    name = name.substr(0, dash);
  }
  if (!IsRunId(name)) return std::nullopt;
  p.run = std::string(name);
  return p;
}

}  // namespace

std::vector<std::string> ManifestsToRemove(const std::vector<std::string>& files,
                                           const std::string& latest, int keep) {
  std::vector<std::string> remove;
  if (keep <= 0) return remove;
  std::set<std::string, std::greater<>> runs;  // whole runs, newest first
  for (const auto& f : files) {
    auto p = Parse(f);
    if (p && !p->share) runs.insert(p->run);
  }
  std::set<std::string> kept;
  for (const auto& run : runs) {
    if (kept.size() == static_cast<size_t>(keep)) break;
    kept.insert(run);
  }
  if (auto l = Parse(latest); l && !l->share) kept.insert(l->run);
  std::set<std::string> ascending(runs.begin(), runs.end());
  for (const auto& f : files) {
    auto p = Parse(f);
    if (!p) continue;
    std::string owner = p->run;
    if (p->share) {
      auto next = ascending.lower_bound(p->run);
      if (next == ascending.end()) continue;  // may still be merged
      owner = *next;
    }
    if (!kept.count(owner)) remove.push_back(f);
  }
  std::sort(remove.begin(), remove.end());
  return remove;
}

void PruneRunManifests(const Location& dst, const ManifestOptions& options, SyncReport* report) {
  if (options.keep <= 0 || dst.kind != Location::Kind::kLocal || !options.path.empty()) return;
  auto state = fileio::StateDir::Open(dst.path, plan::kReservedDir, false);
  StatusOr<std::vector<std::string>> files =
      state.ok() ? state->ListFiles() : StatusOr<std::vector<std::string>>(state.status());
  if (!files.ok()) {
    report->AddNotice(dst.path, "older run manifests not removed: " + files.status().message());
    return;
  }
  std::string latest;
  if (auto body = state->ReadFile(std::string(manifest::kLatestName), 4096); body.ok()) {
    latest = *body;
    while (!latest.empty() && std::isspace(static_cast<unsigned char>(latest.back()))) {
      latest.pop_back();
    }
  }
  for (const auto& name : ManifestsToRemove(*files, latest, options.keep)) {
    if (state->Remove(name)) report->manifests_removed++;
  }
}

}  // namespace gwsync::session
