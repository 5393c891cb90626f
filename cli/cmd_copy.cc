#include <cstdio>

#include "cli/app.h"
#include "gwsync/copy.h"
#include "gwsync/printable.h"
#include "gwsync/units.h"
#include "gwsync/url.h"

namespace gwsync::cli {
namespace {

std::string Describe(uint64_t size, int parts) {
  std::string s = FormatSize(size);
  if (parts > 0) s += ", " + std::to_string(parts) + " parts";
  return s;
}

// A download or copy whose bytes could not be proven the object's: said on
// stderr (stdout may carry the data), an error with --require-verified.
// Returns the exit code so far.
int SayUnverified(const std::string& what, const CopyResult& r, const CopyRequest& request) {
  if (r.verified) return 0;
  if (request.require_verified) {
    return Fail(
        Status(StatusCode::kFailedPrecondition, what + ": " + r.why + " (--require-verified)"));
  }
  std::fprintf(stderr, "gwsync: unverified: %s\n", Printable(what + ": " + r.why).c_str());
  return 0;
}

// What was done, as put, get and cp say it; the exit code.
int Report(const GlobalFlags& flags, const CopyRequest& request, const CopyResult& r) {
  switch (r.kind) {
    case CopyResult::Kind::kUpload: {
      std::string what = Describe(r.size, r.parts);
      if (request.zstd) what = FormatSize(r.uncompressed_size) + " as zstd " + what;
      Say(flags,
          "upload: " + (request.source == "-" ? std::string("stdin") : "'" + request.source + "'") +
              " -> " + r.destination + " (" + what + ")");
      return 0;
    }
    case CopyResult::Kind::kDownload:
      // To stdout the bytes are out already: --require-verified can only say so and fail.
      if (r.destination != "-") {
        Say(flags, "download: " + request.source + " -> '" + r.destination + "' (" +
                       FormatSize(r.size) + ")");
      }
      return SayUnverified(request.source, r, request);
    case CopyResult::Kind::kCopy:
      Say(flags, "copy: " + request.source + " -> " + r.destination);
      return SayUnverified(r.destination, r, request);
  }
  return 0;
}

int RunCp(GlobalFlags flags, const CopyRequest& request) {
  if (Status s = CheckCopy(request); !s.ok()) return Fail(s);
  if (request.destination == "-") flags.quiet = true;  // stdout carries the data
  auto gateway = OpenGateway(flags);
  if (!gateway.ok()) return Fail(gateway.status());
  auto r = Copy(**gateway, request);
  if (!r.ok()) {
    // `| head`: the reader has what it wanted.
    if (request.destination == "-" && StdoutClosed()) EndOnClosedStdout();
    return Fail(r.status());
  }
  return Report(flags, request, *r);
}

}  // namespace

void AddCopyCommands(CLI::App& app, const GlobalFlags& flags, Runner* run) {
  auto args = std::make_shared<CopyRequest>();
  auto add = [&](const char* name, const char* help, const char* src_help, const char* dst_help,
                 int direction) {
    auto* cmd = app.add_subcommand(name, help);
    cmd->add_option("source", args->source, src_help)->required();
    cmd->add_option("destination", args->destination, dst_help)->required();
    if (direction >= 0) {
      cmd->add_flag("--zstd", args->zstd,
                    "compress with zstd on the way (get decompresses it again)");
    }
    if (direction <= 0) {
      cmd->add_flag("--raw", args->raw, "fetch a compressed object as stored");
      cmd->add_flag("--require-verified", args->require_verified,
                    "fail when the content cannot be proven against the object's ETag (parts "
                    "of a size gwsync cannot find) instead of saying so on stderr");
    }
    cmd->callback([&flags, run, args, direction, name = std::string(name)] {
      // put needs a local source, get a remote one; cp takes any pair.
      if (direction > 0 && (IsS3Url(args->source) || !IsS3Url(args->destination))) {
        throw CLI::ValidationError(name, "usage: gwsync put FILE|- s3://BUCKET/KEY");
      }
      if (direction < 0 && (!IsS3Url(args->source) || IsS3Url(args->destination))) {
        throw CLI::ValidationError(name, "usage: gwsync get s3://BUCKET/KEY FILE|-");
      }
      *run = [&flags, args] { return RunCp(flags, *args); };
    });
  };
  add("put", "upload a file or stdin (-) to s3://BUCKET/KEY", "FILE or -", "s3://BUCKET/KEY", 1);
  add("get", "download s3://BUCKET/KEY to a file or stdout (-)", "s3://BUCKET/KEY", "FILE or -",
      -1);
  add("cp", "copy one object: local to s3, s3 to local, or s3 to s3 (server-side)", "SOURCE",
      "DESTINATION", 0);
}

}  // namespace gwsync::cli
