// The --json document of a sync (session/session.h, ReportJson).
#include "session/session.h"

namespace gwsync::session {

nlohmann::json ReportJson(const SyncReport& r, const std::string& src, const std::string& dst,
                          bool dry_run, const Session* session) {
  nlohmann::json j;
  j["source"] = src;
  j["destination"] = dst;
  j["dry_run"] = dry_run;
  j["seconds"] = r.seconds;
  j["source_objects"] = r.source_objects;
  j["destination_objects"] = r.destination_objects;
  uint64_t moved_objects = 0, moved_bytes = 0;
  j["actions"] = nlohmann::json::object();
  for (const auto& [name, t] : r.actions) {
    j["actions"][name] = {{"objects", t.objects}, {"bytes", t.bytes}};
    if (name == "upload" || name == "download" || name == "copy") {
      moved_objects += t.objects;
      moved_bytes += t.bytes;
    }
  }
  j["objects_per_second"] = r.seconds > 0 ? moved_objects / r.seconds : 0;
  j["bytes_per_second"] = r.seconds > 0 ? moved_bytes / r.seconds : 0;
  j["error_count"] = r.error_count;
  j["errors"] = nlohmann::json::array();
  for (const auto& [key, msg] : r.errors) j["errors"].push_back({{"key", key}, {"message", msg}});
  j["notice_count"] = r.notice_count;
  j["notices"] = nlohmann::json::array();
  for (const auto& [key, msg] : r.notices) j["notices"].push_back({{"key", key}, {"message", msg}});
  j["unverified_count"] = r.unverified_count;
  j["key_store_count"] = r.key_store_count;
  j["unverified"] = nlohmann::json::array();
  for (const auto& [key, why] : r.unverified)
    j["unverified"].push_back({{"key", key}, {"why", why}});
  j["manifests"] = r.manifests;
  j["manifests_removed"] = r.manifests_removed;
  j["uploads_aborted"] = r.uploads_aborted;
  j["deletes_refused"] = r.deletes_refused;
  j["delete_refusals"] = r.delete_refusals;
  j["endpoints"] = nlohmann::json::array();
  if (session) {
    for (const auto& [remote, stats] : session->Stats()) {
      for (const auto& e : stats) {
        j["endpoints"].push_back(
            {{"remote", remote},
             {"endpoint", e.name},
             {"requests", e.requests},
             {"errors", e.errors},
             {"throttled", e.throttled},
             {"timeouts", e.timeouts},
             {"down_events", e.down_events},
             {"bytes_sent", e.bytes_sent},
             {"bytes_received", e.bytes_received},
             {"latency_avg_ms", 1000 * e.latency_avg()},
             {"latency_max_ms", 1000 * e.latency_max},
             {"concurrency",
              {{"min", e.concurrency_min}, {"max", e.concurrency_max}, {"final", e.concurrency}}},
             {"down", e.down}});
      }
    }
  }
  return j;
}

}  // namespace gwsync::session
