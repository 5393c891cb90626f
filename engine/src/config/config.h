// The configuration files gwsync reads: s3cmd's ~/.s3cfg, so a machine set
// up for s3cmd works as it is, and gwsync's own remotes file, which names
// clusters for REMOTE:BUCKET. Both are INI files parsed with libinih. Errors
// name the file and the line and never quote a value that may be a secret.
// Plain functions over files: safe to call from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gwsync/status.h"

namespace gwsync::config {

// The [default] section of an s3cmd config file (~/.s3cfg). Settings before
// any section count as [default]; other sections and s3cmd's many other
// settings are ignored.
struct S3cmdConfig {
  std::string access_key, secret_key, host_base, host_bucket;
  std::optional<bool> use_https, signature_v2;  // True/False, yes/no, on/off, 1/0
};

// NotFound when `path` does not exist; InvalidArgument naming the file and
// line for a malformed line or a boolean setting that is not one.
StatusOr<S3cmdConfig> ReadS3cmdConfig(const std::string& path);

// One section of a remotes file: a cluster with its own gateways and keys.
struct RemoteConfig {
  std::vector<std::string> endpoints;  // one per `endpoint` line, in file order
  std::string access_key, secret_key;
  std::string signature;  // "v2", "v4" or "" (the default)
  std::string region;
};

// Reads a remotes file: "[NAME]" (or "[remote NAME]") sections with
// `endpoint` (repeatable: several gateways of one cluster), `access_key`,
// `secret_key`, `signature` and `region`. A missing file is NotFound when
// `must_exist`, else an empty map. Unknown settings, settings outside a
// section and malformed lines are InvalidArgument naming the file and line.
StatusOr<std::map<std::string, RemoteConfig>> ReadRemotesFile(const std::string& path,
                                                              bool must_exist);

// $GWSYNC_REMOTES, else $XDG_CONFIG_HOME/gwsync/remotes.conf, else
// ~/.config/gwsync/remotes.conf.
std::string DefaultRemotesPath();

}  // namespace gwsync::config
