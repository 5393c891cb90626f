// gwsync::MergeShareReports and JoinShareManifests (gwsync/report.h): the
// files read, session::MergeReports adds them up, and the shares' manifests
// are joined by session::JoinShareManifests once the shares are complete.
#include "gwsync/report.h"

#include <fstream>
#include <sstream>

#include "session/report_merge.h"
#include "session/run_manifest.h"

namespace gwsync {
namespace {

// Every share wrote a manifest of its own keys into the folder: once all
// are in, they become the backup's manifest (manifest-latest).
void JoinManifests(session::MergedReport* merged, std::vector<std::string>* notices) {
  nlohmann::json& report = merged->report;
  std::vector<std::string> parts;
  bool in_bucket = false;
  for (const auto& share : report["shares"]) {
    const auto& m = share["manifests"];
    if (m.size() != 1 || !m[0].is_string()) break;
    std::string path = m[0].get<std::string>();
    in_bucket = in_bucket || path.starts_with("s3://");
    parts.push_back(std::move(path));
  }
  if (parts.size() != report["shares"].size()) return;  // --no-manifest: nothing to join
  if (in_bucket) {
    notices->push_back(
        "the shares' manifests are in the bucket, one per share; they are not joined (verify "
        "against the bucket itself)");
    return;
  }
  auto joined = session::JoinShareManifests(parts);
  if (!joined.ok()) {
    merged->problems.push_back("manifest not written: " + joined.status().message());
    report["complete"] = false;
    report["problems"] = merged->problems;
  } else {
    report["manifests"].push_back(*joined);
  }
}

}  // namespace

StatusOr<MergedReport> MergeShareReports(const std::vector<std::string>& files) {
  std::vector<session::ReportFile> texts;
  for (const auto& name : files) {
    std::ifstream in(name);
    if (!in) return NotFound("cannot read report '" + name + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    texts.push_back({name, ss.str()});
  }
  session::MergedReport merged = session::MergeReports(texts);
  MergedReport out;
  if (merged.complete()) JoinManifests(&merged, &out.notices);
  const nlohmann::json& r = merged.report;
  out.json = r.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  for (const auto& m : r["manifests"]) out.manifests.push_back(m.get<std::string>());
  out.count = r["count"].get<int>();
  out.reported = r["shares"].size();
  out.source_objects = r["source_objects"].get<uint64_t>();
  out.error_count = r["error_count"].get<uint64_t>();
  out.problems = std::move(merged.problems);
  return out;
}

StatusOr<std::string> JoinShareManifests(const std::vector<std::string>& paths) {
  return session::JoinShareManifests(paths);
}

}  // namespace gwsync
