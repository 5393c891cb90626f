// Parsing and printing of byte sizes and rates the way users type them:
// "4096", "4KiB", "16MiB", "1.5G", "50M" (K/M/G/T are powers of 1024, as in
// rclone and s3cmd). Pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gwsync/status.h"

namespace gwsync {

StatusOr<uint64_t> ParseSize(std::string_view text);
// "1.5 MiB", "12 B".
std::string FormatSize(uint64_t bytes);

}  // namespace gwsync
