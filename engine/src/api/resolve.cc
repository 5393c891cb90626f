#include "api/resolve.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "config/config.h"
#include "fileio/errno_status.h"
#include "gwsync/units.h"

namespace gwsync::api {

std::optional<std::string> Environment(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return std::nullopt;
  return std::string(v);
}

namespace {

// The first line of a file holding a secret, without its line end.
StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return InvalidArgument("cannot read --secret-key-file '" + path +
                           "': " + fileio::ErrnoText(errno));
  }
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.pop_back();
  }
  if (line.empty()) return InvalidArgument("--secret-key-file '" + path + "' is empty");
  return line;
}

}  // namespace

// NOLINTNEXTLINE(readability-function-size): settings in order of precedence
StatusOr<s3::ClientOptions> ResolveClientOptions(const GatewayOptions& flags,
                                                 const EnvLookup& env) {
  config::S3cmdConfig cfg;
  std::string cfg_path = flags.config_file;
  if (cfg_path.empty()) {
    if (auto home = env("HOME")) cfg_path = *home + "/.s3cfg";
  }
  if (!cfg_path.empty()) {
    auto read = config::ReadS3cmdConfig(cfg_path);
    if (read.ok()) {
      cfg = *read;
    } else if (!flags.config_file.empty() || read.status().code() != StatusCode::kNotFound) {
      // A file the user named must exist; a broken ~/.s3cfg is said, not skipped.
      return read.status();
    }
  }

  s3::ClientOptions o;
  // Credentials: flags, then the environment, then the config file.
  auto pick = [&](const std::string& flag, const char* var, const std::string& file) {
    if (!flag.empty()) return flag;
    if (auto v = env(var); v && !v->empty()) return *v;
    return file;
  };
  o.credentials.access_key = pick(flags.access_key, "AWS_ACCESS_KEY_ID", cfg.access_key);
  std::string secret_flag = flags.secret_key;
  if (secret_flag.empty() && !flags.secret_key_file.empty()) {
    ASSIGN_OR_RETURN(secret_flag, ReadSecretFile(flags.secret_key_file));
  }
  o.credentials.secret_key = pick(secret_flag, "AWS_SECRET_ACCESS_KEY", cfg.secret_key);
  if (auto token = env("AWS_SESSION_TOKEN")) o.credentials.session_token = *token;
  if (o.credentials.access_key.empty() || o.credentials.secret_key.empty()) {
    return InvalidArgument(
        "no credentials: pass --access-key and --secret-key-file, set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, or put access_key and secret_key in ~/.s3cfg");
  }

  std::string endpoint;
  if (!flags.endpoints.empty()) {
    endpoint = flags.endpoints.front();
  } else if (auto v = env("AWS_ENDPOINT_URL"); v && !v->empty()) {
    endpoint = *v;
  } else {
    endpoint = cfg.host_base;
  }
  if (endpoint.empty()) {
    return InvalidArgument(
        "no gateway endpoint: pass --endpoint URL, set AWS_ENDPOINT_URL, or set host_base in "
        "~/.s3cfg");
  }
  ASSIGN_OR_RETURN(o.endpoint, s3::ParseEndpoint(endpoint, cfg.use_https.value_or(false)));
  for (size_t i = 1; i < flags.endpoints.size(); ++i) {
    // use_https holds for every gateway given without a scheme, not the first only.
    ASSIGN_OR_RETURN(s3::Endpoint more,
                     s3::ParseEndpoint(flags.endpoints[i], cfg.use_https.value_or(false)));
    o.more_endpoints.push_back(more);
  }
  if (flags.rps < 0 || flags.endpoint_rps < 0) {
    return InvalidArgument("--rps and --endpoint-rps must not be negative");
  }
  if (flags.timeout < 1) return InvalidArgument("--timeout must be at least 1 second");
  o.pool.rps = flags.rps;
  o.pool.endpoint_rps = flags.endpoint_rps;
  o.stall_timeout = std::chrono::seconds(flags.timeout);
  auto min_rate = ParseSize(flags.min_rate);
  if (!min_rate.ok()) return InvalidArgument("--min-rate: " + min_rate.status().message());
  o.min_rate = *min_rate;
  o.list_limit = flags.list_limit;
  if (flags.concurrency > 0) {
    // One gateway gets no more than the requests the user allows in flight.
    o.pool.max_concurrency = flags.concurrency;
    o.pool.initial_concurrency = std::min(o.pool.initial_concurrency, flags.concurrency);
  }
  // s3cmd addresses buckets as hosts when host_bucket templates the name.
  o.virtual_host =
      flags.endpoints.empty() && cfg.host_bucket.find("%(bucket)s") != std::string::npos;

  // NOLINTNEXTLINE(bugprone-branch-clone): the flag, else the s3cmd file, may ask for v2
  if (flags.signature == "v2") {
    o.signature = s3::SignatureVersion::kV2;
  } else if (flags.signature == "v4") {
    o.signature = s3::SignatureVersion::kV4;
  } else if (!flags.signature.empty()) {
    return InvalidArgument("invalid --signature '" + flags.signature + "': expected v2 or v4");
  } else if (cfg.signature_v2.value_or(false)) {
    o.signature = s3::SignatureVersion::kV2;
  }
  if (!flags.region.empty()) {
    o.region = flags.region;
  } else if (auto v = env("AWS_REGION"); v && !v->empty()) {
    o.region = *v;
  }
  return o;
}

StatusOr<transfer::TransferOptions> ResolveTransferOptions(const GatewayOptions& flags) {
  transfer::TransferOptions t;
  ASSIGN_OR_RETURN(t.part_size, ParseSize(flags.part_size));
  ASSIGN_OR_RETURN(t.multipart_threshold, ParseSize(flags.multipart_threshold));
  if (t.part_size < (5u << 20)) {
    return InvalidArgument("--part-size must be at least 5MiB (the S3 minimum part size)");
  }
  if (t.part_size > (5ull << 30)) return InvalidArgument("--part-size must be at most 5GiB");
  if (flags.concurrency < 0) return InvalidArgument("--concurrency must be at least 1");
  if (!flags.max_body_size.empty()) {
    ASSIGN_OR_RETURN(uint64_t max_body, ParseSize(flags.max_body_size));
    if (max_body < (5u << 20)) {
      return InvalidArgument("--max-body-size must be at least 5MiB (the S3 minimum part size)");
    }
    t.part_size = std::min(t.part_size, max_body);
    t.multipart_threshold = std::min(t.multipart_threshold, max_body);
  }
  t.parallel = flags.concurrency > 0 ? flags.concurrency : 8;
  return t;
}

StatusOr<http::TransportOptions> ResolveTransportOptions(const GatewayOptions& flags,
                                                         const EnvLookup& env) {
  http::TransportOptions topts;
  topts.verify_tls = !flags.insecure;
  topts.ca_bundle = flags.ca_bundle;
  if (topts.ca_bundle.empty()) topts.ca_bundle = env("AWS_CA_BUNDLE").value_or("");
  if (!topts.ca_bundle.empty() && access(topts.ca_bundle.c_str(), R_OK) != 0) {
    return InvalidArgument("cannot read the CA bundle '" + topts.ca_bundle +
                           "': " + fileio::ErrnoText(errno));
  }
  if (!flags.bwlimit.empty()) {
    ASSIGN_OR_RETURN(uint64_t bw, ParseSize(flags.bwlimit));
    topts.bytes_per_second = bw;
  }
  if (!flags.endpoint_bwlimit.empty()) {
    ASSIGN_OR_RETURN(uint64_t bw, ParseSize(flags.endpoint_bwlimit));
    topts.endpoint_bytes_per_second = bw;
  }
  return topts;
}

StatusOr<session::ClusterOptions> ResolveClusterOptions(const GatewayOptions& flags,
                                                        const EnvLookup& env) {
  session::ClusterOptions o;
  ASSIGN_OR_RETURN(o.client, ResolveClientOptions(flags, env));
  ASSIGN_OR_RETURN(o.transport, ResolveTransportOptions(flags, env));
  return o;
}

}  // namespace gwsync::api
