// gwsync du: flags and printing only; the counting is the engine's
// (du/du.h).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "config/config.h"
#include "du/du.h"
#include "gwsync/units.h"
#include "session/session.h"

namespace gwsync::cli {
namespace {

struct DuFlags {
  std::string target;
  int depth = 1;
  bool json = false;
  std::string remotes_file;
};

std::string Row(uint64_t objects, uint64_t bytes, const std::string& name) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%12llu objects %12s  ", static_cast<unsigned long long>(objects),
                FormatSize(bytes).c_str());
  return buf + name;
}

int RunDuCommand(const GlobalFlags& global, const DuFlags& flags) {
  std::string remotes_path =
      flags.remotes_file.empty() ? config::DefaultRemotesPath() : flags.remotes_file;
  auto remotes = config::ReadRemotesFile(remotes_path, !flags.remotes_file.empty());
  if (!remotes.ok()) return Fail(remotes.status());
  session::Session session(ResolveClusterOptions(global), std::move(*remotes));
  auto spec = session::ParseSideSpec(flags.target, session.remotes());
  if (!spec.ok()) return Fail(spec.status());
  if (!spec->remote || spec->bucket.empty()) {
    return Fail(InvalidArgument("du needs a bucket: s3://BUCKET[/PREFIX] or REMOTE:BUCKET"));
  }
  if (flags.depth < 1) return Fail(InvalidArgument("--depth must be at least 1"));
  auto client = session.ClientFor(spec->remote_name);
  if (!client.ok()) return Fail(client.status());

  std::string base = "s3://" + spec->bucket + "/" + spec->prefix;
  nlohmann::json rows = nlohmann::json::array();
  du::DuOptions options;
  options.depth = flags.depth;
  options.on_prefix = [&](const std::string& prefix, const du::Usage& u) {
    if (flags.json) {
      rows.push_back(
          {{"prefix", spec->prefix + prefix}, {"objects", u.objects}, {"bytes", u.bytes}});
    } else {
      std::printf("%s\n", Row(u.objects, u.bytes, base + prefix).c_str());
    }
  };
  auto report = du::DiskUsage(**client, spec->bucket, spec->prefix, options);
  if (!report.ok()) return Fail(report.status().Annotate(flags.target));
  const du::DuReport& r = *report;
  if (flags.json) {
    nlohmann::json j;
    j["bucket"] = spec->bucket;
    j["prefix"] = spec->prefix;
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
