#include "session/report_merge.h"

#include <algorithm>
#include <map>
#include <optional>

namespace gwsync::session {
namespace {

using nlohmann::json;

constexpr size_t kMaxKept = 10000;  // errors and notices by name, as one report keeps

uint64_t U64(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<uint64_t>() : 0;
}

void Append(const json& from, const char* key, json* to) {
  auto it = from.find(key);
  if (it == from.end() || !it->is_array()) return;
  for (const auto& e : *it) {
    if ((*to)[key].size() >= kMaxKept) return;
    (*to)[key].push_back(e);
  }
}

// Per remote and gateway, counters summed and extremes kept.
void AddEndpoints(const json& from, std::map<std::string, json>* into) {
  auto it = from.find("endpoints");
  if (it == from.end() || !it->is_array()) return;
  for (const auto& e : *it) {
    std::string id = e.value("remote", "") + " " + e.value("endpoint", "");
    json& t = (*into)[id];
    if (t.is_null()) {
      t = {{"remote", e.value("remote", "")}, {"endpoint", e.value("endpoint", "")}};
    }
    for (const char* k : {"requests", "errors", "throttled", "timeouts", "down_events",
                          "bytes_sent", "bytes_received"}) {
      t[k] = U64(t, k) + U64(e, k);
    }
    t["latency_max_ms"] = std::max(t.value("latency_max_ms", 0.0), e.value("latency_max_ms", 0.0));
  }
}

std::string Bound(const json& share, const char* key) {
  auto it = share.find(key);
  return it == share.end() || it->is_null() ? "(none)" : "'" + it->get<std::string>() + "'";
}

}  // namespace

// NOLINTNEXTLINE(readability-function-size): each check needs what the last collected
MergedReport MergeReports(const std::vector<ReportFile>& files) {
  MergedReport out;
  std::map<int, std::pair<std::string, json>> shares;  // index -> file, report
  int count = -1;
  std::string source, destination;
  for (const auto& f : files) {
    json j = json::parse(f.text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("actions")) {
      out.problems.push_back(f.name + ": not a gwsync report (did the share finish?)");
      continue;
    }
    json share = j.value("shard", json{{"index", 0}, {"count", 1}});
    int index = share.value("index", -1), n = share.value("count", -1);
    if (count < 0) {
      count = n;
      source = j.value("source", "");
      destination = j.value("destination", "");
    }
    if (n != count) {
      out.problems.push_back(f.name + ": share of " + std::to_string(n) + ", the others of " +
                             std::to_string(count));
      continue;
    }
    if (j.value("source", "") != source || j.value("destination", "") != destination) {
      out.problems.push_back(f.name + ": a report of another sync (" + j.value("source", "") +
                             " -> " + j.value("destination", "") + ")");
      continue;
    }
    if (index < 0 || index >= n) {
      out.problems.push_back(f.name + ": share " + std::to_string(index) + " out of range");
      continue;
    }
    shares[index] = {f.name, std::move(j)};  // a later file (a re-run) replaces an earlier
  }

  json& m = out.report;
  m["source"] = source;
  m["destination"] = destination;
  m["shares"] = json::array();
  m["actions"] = json::object();
  m["errors"] = json::array();
  m["notices"] = json::array();
  m["unverified"] = json::array();
  m["delete_refusals"] = json::array();
  m["missing"] = json::array();
  m["failed"] = json::array();
  uint64_t source_objects = 0, destination_objects = 0, error_count = 0, notice_count = 0,
           unverified_count = 0, key_store_count = 0;
  uint64_t deletes_refused = 0, manifests_removed = 0, uploads_aborted = 0;
  double seconds = 0, seconds_sum = 0;
  std::map<std::string, json> endpoints;
  std::optional<json> previous;  // the share before's "shard", for the bounds check
  for (int i = 0; i < std::max(count, 0); ++i) {
    auto it = shares.find(i);
    if (it == shares.end()) {
      m["missing"].push_back(i);
      out.problems.push_back("share " + std::to_string(i) + " of " + std::to_string(count) +
                             ": no report (not run, or it could not start)");
      previous.reset();
      continue;
    }
    const auto& [name, j] = it->second;
    json share = j.value("shard", json::object());
    uint64_t errors = U64(j, "error_count");
    if (errors > 0) {
      m["failed"].push_back(i);
      out.problems.push_back("share " + std::to_string(i) + " (" + name +
                             "): " + std::to_string(errors) + " errors: run it again");
    }
    if (previous && Bound(*previous, "through") != Bound(share, "after")) {
      out.problems.push_back("shares " + std::to_string(i - 1) + " and " + std::to_string(i) +
                             " do not meet (" + Bound(*previous, "through") + " vs " +
                             Bound(share, "after") + "): were they given different plans?");
    }
    if ((i == 0 && Bound(share, "after") != "(none)") ||
        (i == count - 1 && Bound(share, "through") != "(none)")) {
      out.problems.push_back("share " + std::to_string(i) + " does not reach the end of the keys");
    }
    previous = share;
    for (const auto& [action, t] : j["actions"].items()) {
      json& a = m["actions"][action];
      a["objects"] = U64(a, "objects") + U64(t, "objects");
      a["bytes"] = U64(a, "bytes") + U64(t, "bytes");
    }
    source_objects += U64(j, "source_objects");
    destination_objects += U64(j, "destination_objects");
    error_count += errors;
    notice_count += U64(j, "notice_count");
    unverified_count += U64(j, "unverified_count");
    key_store_count += U64(j, "key_store_count");
    deletes_refused += U64(j, "deletes_refused");
    manifests_removed += U64(j, "manifests_removed");
    uploads_aborted += U64(j, "uploads_aborted");
    seconds = std::max(seconds, j.value("seconds", 0.0));
    seconds_sum += j.value("seconds", 0.0);
    Append(j, "errors", &m);
    Append(j, "notices", &m);
    Append(j, "unverified", &m);
    Append(j, "delete_refusals", &m);
    AddEndpoints(j, &endpoints);
    uint64_t requests = 0;
    for (const auto& e : j.value("endpoints", json::array())) requests += U64(e, "requests");
    m["shares"].push_back({{"index", i},
                           {"file", name},
                           {"after", share.value("after", json(nullptr))},
                           {"through", share.value("through", json(nullptr))},
                           {"source_objects", U64(j, "source_objects")},
                           {"error_count", errors},
                           {"requests", requests},
                           {"seconds", j.value("seconds", 0.0)},
                           {"manifests", j.value("manifests", json::array())}});
  }
  m["count"] = count < 0 ? 0 : count;
  m["source_objects"] = source_objects;
  m["destination_objects"] = destination_objects;
  m["error_count"] = error_count;
  m["notice_count"] = notice_count;
  m["unverified_count"] = unverified_count;
  m["key_store_count"] = key_store_count;
  m["deletes_refused"] = deletes_refused;
  m["manifests_removed"] = manifests_removed;
  m["uploads_aborted"] = uploads_aborted;
  m["seconds"] = seconds;  // the slowest share: the wall time when they ran at once
  m["seconds_sum"] = seconds_sum;
  m["manifests"] = json::array();  // the whole's, once joined (report merge)
  m["endpoints"] = json::array();
  for (auto& [id, e] : endpoints) m["endpoints"].push_back(std::move(e));
  if (count < 0) out.problems.push_back("no report to merge");
  m["complete"] = out.complete();
  m["problems"] = out.problems;
  return out;
}

}  // namespace gwsync::session
