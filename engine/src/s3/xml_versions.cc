// ListObjectVersions' answer (s3/xml.h), apart from the other parsers.
#include <algorithm>
#include <iterator>

#include "s3/xml.h"
#include "s3/xml_detail.h"

namespace gwsync::s3::xml {
namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): the module's own helpers

constexpr std::string_view kVersionsStems[] = {"ListVersions"};
constexpr std::string_view kVersionsElements[] = {
    "Version", "DeleteMarker", "IsTruncated", "NextKeyMarker", "KeyMarker", "Name", "MaxKeys"};
constexpr Answer kVersions{"ListObjectVersions", kVersionsStems, kVersionsElements};

// AWS and RGW list a page's versions and delete markers together, each
// key's newest first. moto lists all of a page's <Version>s, then all of its
// <DeleteMarker>s: a page of that shape is merged back by key and, within a
// key, by LastModified (newest first; of the same time, the latest first,
// then a version before a marker, which is what a page of AWS's in that
// shape says too, so such a page is left as it was). moto gives times to
// the second: the order of a key's older marker and version written within
// the same second is not in its listing at all.
void Regroup(std::vector<VersionInfo>* versions) {
  auto first_marker = std::find_if(versions->begin(), versions->end(),
                                   [](const VersionInfo& v) { return v.delete_marker; });
  if (first_marker == versions->begin() || first_marker == versions->end()) return;
  if (!std::all_of(first_marker, versions->end(),
                   [](const VersionInfo& v) { return v.delete_marker; })) {
    return;
  }
  auto newer = [](const VersionInfo& a, const VersionInfo& b) {
    if (a.key != b.key) return a.key < b.key;
    if (a.last_modified != b.last_modified) return a.last_modified > b.last_modified;
    return a.is_latest && !b.is_latest;
  };
  if (!std::is_sorted(versions->begin(), first_marker, newer) ||
      !std::is_sorted(first_marker, versions->end(), newer)) {
    return;  // not that shape: the listing's checks judge it as sent
  }
  std::vector<VersionInfo> merged;
  merged.reserve(versions->size());
  std::merge(std::make_move_iterator(versions->begin()), std::make_move_iterator(first_marker),
             std::make_move_iterator(first_marker), std::make_move_iterator(versions->end()),
             std::back_inserter(merged), newer);
  *versions = std::move(merged);
}

}  // namespace

StatusOr<VersionsPage> ParseListObjectVersions(std::string_view body) {
  constexpr std::string_view kWhat = kVersions.what;
  pugi::xml_document doc;
  pugi::xml_node root;
  RETURN_IF_ERROR(Load(body, kVersions, &doc, &root));
  const bool url = IsUrlEncoded(root);
  VersionsPage page;
  for (pugi::xml_node n = root.first_child(); n; n = n.next_sibling()) {
    if (n.type() != pugi::node_element) continue;
    std::string_view name = LocalName(n);
    if (name == "Version" || name == "DeleteMarker") {
      VersionInfo v;
      v.delete_marker = name == "DeleteMarker";
      bool has_key = false;
      for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element) continue;
        std::string_view field = LocalName(c);
        if (field == "Key") {
          v.key = Text(c);
          has_key = true;
        } else if (field == "VersionId") {
          v.version_id = Trim(Text(c));
        } else if (field == "IsLatest") {
          v.is_latest = ParseBool(c);
        } else if (field == "Size") {
          if (!ParseNumber(c, &v.size)) return Malformed(kWhat, "bad <Size> for " + v.key);
        } else if (field == "ETag") {
          v.etag = UnquoteEtag(Text(c));
        } else if (field == "LastModified") {
          v.last_modified = Trim(Text(c));
        }
      }
      if (!has_key) return Malformed(kWhat, "<" + std::string(name) + "> without <Key>");
      if (url && !UrlDecode(&v.key)) return Malformed(kWhat, "bad url-encoded key " + v.key);
      if (v.version_id.empty()) v.version_id = "null";
      page.versions.push_back(std::move(v));
    } else if (name == "IsTruncated") {
      page.truncated = ParseBool(n);
    } else if (name == "NextKeyMarker") {
      page.next_key_marker = Text(n);
      if (url && !UrlDecode(&page.next_key_marker)) {
        return Malformed(kWhat, "bad url-encoded NextKeyMarker");
      }
    } else if (name == "NextVersionIdMarker") {
      page.next_version_id_marker = Trim(Text(n));
    }
  }
  Regroup(&page.versions);
  if (page.truncated && page.next_key_marker.empty()) {
    // Continue after the last entry of the page, as a marker would.
    if (page.versions.empty())
      return Malformed(kWhat, "a truncated page with nothing to continue from");
    page.next_key_marker = page.versions.back().key;
    page.next_version_id_marker = page.versions.back().version_id;
  }
  return page;
}

}  // namespace gwsync::s3::xml
