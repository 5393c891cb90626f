#include "cli/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "gwsync/printable.h"
#include "gwsync/units.h"

namespace gwsync::cli {
namespace {

// One field of the line: its text, how soon it is left out (higher: sooner)
// and whether a bar rather than a comma comes before it.
struct Field {
  std::string text;
  int rank;
  bool bar = false;
};

// "42s", "5m03s", "2h05m".
std::string FormatEta(double seconds) {
  long long s = std::llround(seconds);
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llds", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s % 3600 / 60);
  }
  return buf;
}

std::string Count(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

int TerminalWidth() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

}  // namespace

std::string FormatProgress(const SyncProgress& p, const std::vector<std::string>& gateways,
                           size_t width) {
  const double rate = p.seconds > 0 ? p.done_bytes / p.seconds : 0;
  std::vector<Field> fields;  // in the order shown
  if (!p.listing_done) {
    fields.push_back({"listing " + Count(p.listed_source, "key", "keys"), 0});
    fields.push_back({Count(p.done_objects, "object", "objects") + " done", 1, true});
    fields.push_back({FormatSize(p.done_bytes), 3});
    fields.push_back({FormatSize(static_cast<uint64_t>(rate)) + "/s", 4});
  } else {
    fields.push_back(
        {std::to_string(p.done_objects) + "/" + Count(p.planned_objects, "object", "objects"), 0});
    fields.push_back({FormatSize(p.done_bytes) + "/" + FormatSize(p.planned_bytes), 3});
    fields.push_back({FormatSize(static_cast<uint64_t>(rate)) + "/s", 4});
    if (rate > 0) {
      double left = (p.planned_bytes - std::min(p.planned_bytes, p.done_bytes)) / rate;
      fields.push_back({"ETA " + FormatEta(left), 1});
    }
  }
  if (p.errors) fields.push_back({Count(p.errors, "error", "errors"), 2});
  constexpr int kFirstGateway = 5;
  for (size_t i = 0; i < gateways.size(); ++i) {
    fields.push_back({gateways[i], kFirstGateway + static_cast<int>(i), i == 0});
  }
  const int ranks = kFirstGateway + static_cast<int>(gateways.size());

  // The most fields, by rank, whose line fits.
  auto line_of = [&fields](int up_to) {
    std::string line;
    for (const Field& f : fields) {
      if (f.rank > up_to) continue;
      if (!line.empty()) line += f.bar ? " | " : ", ";
      line += f.text;
    }
    return line;
  };
  std::string best;
  for (int r = 0; r < ranks; ++r) {
    std::string line = line_of(r);
    if (line.size() > width) break;
    best = std::move(line);
  }
  return best;
}

void ProgressLine::Clear() {
  if (shown_) std::fprintf(stderr, "\r\033[K");
  shown_ = false;
}

void ProgressLine::Update(const SyncProgress& p) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  shown_ = true;
  // One column spare: a line that fills the last one wraps on some terminals.
  size_t width = static_cast<size_t>(std::max(1, TerminalWidth() - 1));
  std::fprintf(stderr, "\r\033[K%s", FormatProgress(p, Gateways(), width).c_str());
}

// ":7480 812 req c16", ":7481 down": per gateway, with several.
std::vector<std::string> ProgressLine::Gateways() const {
  std::vector<std::string> out;
  for (const auto& [remote, stats] : gateways_()) {
    if (stats.size() < 2) continue;
    for (const auto& e : stats) {
      std::string_view name = e.name;
      if (size_t colon = name.rfind(':'); colon != std::string_view::npos) {
        name = name.substr(colon);
      }
      out.push_back(Printable(name) + " " + std::to_string(e.requests) + " req" +
                    (e.down ? " down" : " c" + std::to_string(e.concurrency)) +
                    (e.throttled ? " " + std::to_string(e.throttled) + " throttled" : ""));
    }
  }
  return out;
}

}  // namespace gwsync::cli
