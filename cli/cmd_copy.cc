#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "cli/commands.h"
#include "fileio/errno_status.h"
#include "gwsync/printable.h"
#include "gwsync/units.h"

namespace gwsync::cli {
namespace {

std::string Basename(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Adds `context` unless the message already names the object.
Status InContext(const Status& s, const std::string& url, const std::string& context) {
  if (s.message().find(url) != std::string::npos) return s;
  return s.Annotate(context);
}

std::string Describe(uint64_t size, int parts) {
  std::string s = FormatSize(size);
  if (parts > 0) s += ", " + std::to_string(parts) + " parts";
  return s;
}

// put/get/cp flags of their own.
struct CopyFlags {
  bool zstd = false;              // compress uploads
  bool raw = false;               // downloads as stored, compressed or not
  bool require_verified = false;  // a content that cannot be proven fails
};

// A download or copy whose bytes could not be proven the object's (etag.h):
// said on stderr (stdout may carry the data), an error with
// --require-verified. Returns the exit code so far.
int SayUnverified(const std::string& what, transfer::Verdict verdict, const std::string& why,
                  const CopyFlags& copy) {
  if (verdict != transfer::Verdict::kUnverifiable) return 0;
  if (copy.require_verified) {
    return Fail(
        Status(StatusCode::kFailedPrecondition, what + ": " + why + " (--require-verified)"));
  }
  std::fprintf(stderr, "gwsync: unverified: %s\n", Printable(what + ": " + why).c_str());
  return 0;
}

// zstd's default level: ~3-5x on text at hundreds of MB/s a core.
constexpr int kZstdLevel = 3;

int Upload(const Context& ctx, const GlobalFlags& flags, const std::string& src, s3::S3Url dst,
           const CopyFlags& copy) {
  if (dst.bucket.empty())
    return Fail(InvalidArgument("the destination needs a bucket: s3://BUCKET/KEY"));
  if (dst.key.empty() || dst.key.back() == '/') {
    if (src == "-") return Fail(InvalidArgument("uploading stdin needs a key: s3://BUCKET/KEY"));
    dst.key += Basename(src);
  }
  transfer::TransferOptions options = ctx.transfer();
  if (copy.zstd) options.zstd_level = kZstdLevel;
  StatusOr<transfer::UploadResult> r =
      src == "-" ? transfer::UploadStream(ctx.client(), STDIN_FILENO, dst.bucket, dst.key, options)
                 : transfer::UploadFile(ctx.client(), src, dst.bucket, dst.key, options);
  if (!r.ok()) return Fail(InContext(r.status(), dst.ToString(), "upload to " + dst.ToString()));
  std::string what = Describe(r->size, r->parts);
  if (copy.zstd) what = FormatSize(r->uncompressed_size) + " as zstd " + what;
  Say(flags, "upload: " + (src == "-" ? std::string("stdin") : "'" + src + "'") + " -> " +
                 dst.ToString() + " (" + what + ")");
  return 0;
}

int Download(const Context& ctx, const GlobalFlags& flags, const s3::S3Url& src, std::string dst,
             const CopyFlags& copy) {
  if (src.bucket.empty() || src.key.empty()) {
    return Fail(InvalidArgument("the source needs a key: s3://BUCKET/KEY"));
  }
  if (src.key.back() == '/') {
    return Fail(InvalidArgument("'" + src.ToString() + "' is a folder marker, not a file"));
  }
  if (dst.empty()) return Fail(InvalidArgument("the destination needs a file name, a folder or -"));
  transfer::TransferOptions options = ctx.transfer();
  options.decompress = !copy.raw;
  if (dst == "-") {
    auto r = transfer::DownloadStream(ctx.client(), src.bucket, src.key, STDOUT_FILENO, options);
    if (!r.ok()) {
      if (StdoutClosed()) EndOnClosedStdout();  // `| head`: the reader has what it wanted
      return Fail(InContext(r.status(), src.ToString(), "download of " + src.ToString()));
    }
    // The bytes are out already: --require-verified can only say so and fail.
    return SayUnverified(src.ToString(), r->verdict, r->why, copy);
  }
  if (dst.back() == '/' || IsDirectory(dst)) {
    if (dst.back() != '/') dst += "/";
    dst += Basename(src.key);
  }
  if (copy.require_verified) {
    // Not renamed into place unless proven.
    options.accept = [](const transfer::DownloadResult& d) -> Status {
      if (d.verdict != transfer::Verdict::kUnverifiable) return Status::Ok();
      return Status(StatusCode::kFailedPrecondition, d.why + " (--require-verified)");
    };
  }
  auto r = transfer::DownloadFile(ctx.client(), src.bucket, src.key, dst, options);
  if (!r.ok()) return Fail(InContext(r.status(), src.ToString(), "download of " + src.ToString()));
  Say(flags, "download: " + src.ToString() + " -> '" + dst + "' (" + FormatSize(r->size) + ")");
  return SayUnverified(src.ToString(), r->verdict, r->why, copy);
}

int ServerCopy(const Context& ctx, const GlobalFlags& flags, const s3::S3Url& src, s3::S3Url dst,
               const CopyFlags& copy) {
  if (src.key.empty()) return Fail(InvalidArgument("the source needs a key: s3://BUCKET/KEY"));
  if (dst.bucket.empty()) return Fail(InvalidArgument("the destination needs a bucket"));
  if (dst.key.empty() || dst.key.back() == '/') dst.key += Basename(src.key);
  // Server-side: one CopyObject, or part copies from 5 GiB, the ETag checked.
  auto r = transfer::CopyObject(ctx.client(), src.bucket, src.key, ctx.client(), dst.bucket,
                                dst.key, ctx.transfer());
  if (!r.ok()) return Fail(InContext(r.status(), dst.ToString(), "copy " + src.ToString()));
  Say(flags, "copy: " + src.ToString() + " -> " + dst.ToString());
  return SayUnverified(dst.ToString(), r->verdict, r->why, copy);
}

int RunCp(GlobalFlags flags, const std::string& src, const std::string& dst,
          const CopyFlags& copy) {
  bool src_s3 = s3::IsS3Url(src), dst_s3 = s3::IsS3Url(dst);
  if (!src_s3 && !dst_s3) {
    return Fail(InvalidArgument("one side must be an s3://BUCKET/KEY URL"));
  }
  StatusOr<s3::S3Url> src_url = src_s3 ? s3::ParseS3Url(src) : s3::S3Url{};
  if (!src_url.ok()) return Fail(src_url.status());
  StatusOr<s3::S3Url> dst_url = dst_s3 ? s3::ParseS3Url(dst) : s3::S3Url{};
  if (!dst_url.ok()) return Fail(dst_url.status());
  if (!src_s3 && src != "-" && access(src.c_str(), R_OK) != 0) {
    return Fail(
        Status(StatusCode::kNotFound, "cannot read '" + src + "': " + fileio::ErrnoText(errno)));
  }
  if (dst == "-") flags.quiet = true;  // stdout carries the data

  auto ctx = Context::Create(flags);
  if (!ctx.ok()) return Fail(ctx.status());
  if (src_s3 && dst_s3) {
    if (copy.zstd) return Fail(InvalidArgument("--zstd compresses uploads, not s3-to-s3 copies"));
    return ServerCopy(**ctx, flags, *src_url, *dst_url, copy);
  }
  if (dst_s3) return Upload(**ctx, flags, src, *dst_url, copy);
  return Download(**ctx, flags, *src_url, dst, copy);
}

}  // namespace

void AddCopyCommands(CLI::App& app, const GlobalFlags& flags, Runner* run) {
  struct Args {
    std::string src, dst;
    CopyFlags copy;
  };
  auto args = std::make_shared<Args>();
  auto add = [&](const char* name, const char* help, const char* src_help, const char* dst_help,
                 int direction) {
    auto* cmd = app.add_subcommand(name, help);
    cmd->add_option("source", args->src, src_help)->required();
    cmd->add_option("destination", args->dst, dst_help)->required();
    if (direction >= 0) {
      cmd->add_flag("--zstd", args->copy.zstd,
                    "compress with zstd on the way (get decompresses it again)");
    }
    if (direction <= 0) {
      cmd->add_flag("--raw", args->copy.raw, "fetch a compressed object as stored");
      cmd->add_flag("--require-verified", args->copy.require_verified,
                    "fail when the content cannot be proven against the object's ETag (parts "
                    "of a size gwsync cannot find) instead of saying so on stderr");
    }
    cmd->callback([&flags, run, args, direction, name = std::string(name)] {
      // put needs a local source, get a remote one; cp takes any pair.
      if (direction > 0 && (s3::IsS3Url(args->src) || !s3::IsS3Url(args->dst))) {
        throw CLI::ValidationError(name, "usage: gwsync put FILE|- s3://BUCKET/KEY");
      }
      if (direction < 0 && (!s3::IsS3Url(args->src) || s3::IsS3Url(args->dst))) {
        throw CLI::ValidationError(name, "usage: gwsync get s3://BUCKET/KEY FILE|-");
      }
      *run = [&flags, args] { return RunCp(flags, args->src, args->dst, args->copy); };
    });
  };
  add("put", "upload a file or stdin (-) to s3://BUCKET/KEY", "FILE or -", "s3://BUCKET/KEY", 1);
  add("get", "download s3://BUCKET/KEY to a file or stdout (-)", "s3://BUCKET/KEY", "FILE or -",
      -1);
  add("cp", "copy one object: local to s3, s3 to local, or s3 to s3 (server-side)", "SOURCE",
      "DESTINATION", 0);
}

}  // namespace gwsync::cli
