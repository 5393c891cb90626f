#include "du/du.h"

#include <algorithm>

#include "s3/listing.h"

namespace gwsync::du {

std::string GroupOf(std::string_view key, int depth) {
  size_t end = 0;
  for (int level = 0; level < depth; ++level) {
    size_t slash = key.find('/', end);
    if (slash == std::string_view::npos) return level == 0 ? "" : std::string(key.substr(0, end));
    end = slash + 1;
  }
  return std::string(key.substr(0, end));
}

StatusOr<DuReport> DiskUsage(const s3::Client& client, const std::string& bucket,
                             const std::string& prefix, const DuOptions& options) {
  DuReport report;
  report.bucket = bucket;
  report.prefix = prefix;
  std::string group;
  Usage current;
  // Files of folders above `depth` ("a/f" at depth 2) interleave with the
  // deeper rows ("a/b/"): counted aside, handed on at the end.
  std::map<std::string, Usage> shallow;
  const int depth = std::max(1, options.depth);
  auto flush = [&] {
    if (current.objects > 0 && options.on_prefix) options.on_prefix(group, current);
    current = Usage();
  };
  s3::ListingOptions lo;
  lo.prefix = prefix;
  // Order, prefix, tokens, the bucket's count: a listing that ends.
  s3::ObjectListing listing(client, bucket, std::move(lo));
  s3::ListPage page;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, listing.Next(&page));
    if (!more) break;
    for (const s3::ObjectInfo& o : page.objects) {
      std::string_view key = std::string_view(o.key).substr(prefix.size());
      report.total.objects++;
      report.total.bytes += o.size;
      Usage& cls = report.classes[o.storage_class.empty() ? "STANDARD" : o.storage_class];
      cls.objects++;
      cls.bytes += o.size;
      std::string g = GroupOf(key, depth);
      if (g.empty()) {
        report.top.objects++;
        report.top.bytes += o.size;
        continue;
      }
      if (std::count(g.begin(), g.end(), '/') < depth) {
        Usage& u = shallow[g];
        u.objects++;
        u.bytes += o.size;
        continue;
      }
      if (g != group) {
        flush();
        group = std::move(g);
      }
      current.objects++;
      current.bytes += o.size;
    }
  }
  flush();
  if (options.on_prefix) {
    for (const auto& [g, u] : shallow) options.on_prefix(g, u);
  }
  return report;
}

}  // namespace gwsync::du
