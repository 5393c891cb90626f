// gwsync du: flags and printing only; the counting is the library's
// (gwsync/du.h).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "gwsync/du.h"
#include "gwsync/units.h"

namespace gwsync::cli {
namespace {

// The library's request (target, depth, remotes file), and how to print.
struct DuFlags : DuRequest {
  bool json = false;
};

std::string Row(uint64_t objects, uint64_t bytes, const std::string& name) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%12llu objects %12s  ", static_cast<unsigned long long>(objects),
                FormatSize(bytes).c_str());
  return buf + name;
}

int RunDuCommand(const GlobalFlags& global, const DuFlags& flags) {
  nlohmann::json rows = nlohmann::json::array();
  DuRequest request = flags;
  request.on_prefix = [&](const std::string& bucket, const std::string& prefix, const DuUsage& u) {
    if (flags.json) {
      rows.push_back({{"prefix", prefix}, {"objects", u.objects}, {"bytes", u.bytes}});
    } else {
      std::printf("%s\n", Row(u.objects, u.bytes, "s3://" + bucket + "/" + prefix).c_str());
    }
  };
  WarnInsecure(global);
  auto report = DiskUsage(global, request);
  if (!report.ok()) return Fail(report.status());
  const DuReport& r = *report;
  const std::string base = "s3://" + r.bucket + "/" + r.prefix;
  if (flags.json) {
    nlohmann::json j;
    j["bucket"] = r.bucket;
    j["prefix"] = r.prefix;
    j["depth"] = flags.depth;
    j["objects"] = r.total.objects;
    j["bytes"] = r.total.bytes;
    j["prefixes"] = rows;
    j["top"] = {{"objects", r.top.objects}, {"bytes", r.top.bytes}};
    j["storage_classes"] = nlohmann::json::object();
    for (const auto& [cls, u] : r.classes) {
      j["storage_classes"][cls] = {{"objects", u.objects}, {"bytes", u.bytes}};
    }
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  if (r.top.objects)
    std::printf("%s\n", Row(r.top.objects, r.top.bytes, base + " (files)").c_str());
  for (const auto& [cls, u] : r.classes) {
    std::printf("%s\n", Row(u.objects, u.bytes, "storage class " + cls).c_str());
  }
  std::printf("%s\n", Row(r.total.objects, r.total.bytes, "total").c_str());
  return 0;
}

}  // namespace

void AddDuCommand(CLI::App& app, const GlobalFlags& flags, Runner* run) {
  auto f = std::make_shared<DuFlags>();
  auto* cmd = app.add_subcommand(
      "du", "objects and bytes per prefix and per storage class of s3://BUCKET[/PREFIX]");
  cmd->add_option("target", f->target, "s3://BUCKET[/PREFIX] or REMOTE:BUCKET[/PREFIX]")
      ->required();
  cmd->add_option("-d,--depth", f->depth, "folder levels that get a row each (default 1)");
  cmd->add_flag("--json", f->json, "print the usage as JSON");
  cmd->add_option("--remotes", f->remotes_file,
                  "remotes file (default ~/.config/gwsync/remotes.conf)")
      ->type_name("FILE");
  cmd->callback([&flags, run, f] { *run = [&flags, f] { return RunDuCommand(flags, *f); }; });
}

}  // namespace gwsync::cli
