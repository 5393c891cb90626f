// The live progress line of `gwsync sync` on a terminal. FormatProgress is
// pure (any thread); a ProgressLine is used from the thread that runs the
// sync's progress callback and the printing after it, one at a time.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "gwsync/gateway.h"
#include "gwsync/sync.h"

namespace gwsync::cli {

// The line for `p` in at most `width` characters: whole fields, the least
// important left out first (each gateway, the listing count, the rate, the
// bytes), never one cut in the middle. While the listings run it says how
// many keys are listed and what is done so far; once they are done (the
// totals are known), done/total objects and bytes, the rate and the ETA.
// `gateways` are per-gateway fields (" | :7480 812 req c16" without the bar).
std::string FormatProgress(const SyncProgress& p, const std::vector<std::string>& gateways,
                           size_t width);

// Redraws the line on stderr at most five times a second, fitted to the
// terminal's width at that moment.
class ProgressLine {
 public:
  // `gateways`: the run's gateways' figures so far, asked at each redraw.
  ProgressLine(bool enabled, std::function<ClusterStats()> gateways)
      : enabled_(enabled), gateways_(std::move(gateways)) {}
  ~ProgressLine() { Clear(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  void Clear();
  void Update(const SyncProgress& p);

 private:
  std::vector<std::string> Gateways() const;

  bool enabled_;
  std::function<ClusterStats()> gateways_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace gwsync::cli
