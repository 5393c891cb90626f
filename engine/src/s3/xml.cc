#include "s3/xml.h"

#include <charconv>
#include <cstring>
#include <pugixml.hpp>
#include <span>
#include <string>
#include <utility>

#include "s3/errors.h"
#include "s3/uri.h"
#include "s3/xml_detail.h"

namespace gwsync::s3::xml {
namespace detail {

// parse_ws_pcdata_single keeps an element's text when it is only whitespace
// (a key of " "), without creating text nodes for the indentation between
// elements. parse_default already keeps leading/trailing spaces and decodes
// entities and character references.
constexpr unsigned kParseOptions = pugi::parse_default | pugi::parse_ws_pcdata_single;

// An element's name without its namespace prefix ("s3:Key" -> "Key").
std::string_view LocalName(const pugi::xml_node& node) {
  std::string_view name = node.name();
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

bool IsElement(const pugi::xml_node& node, std::string_view name) {
  return node.type() == pugi::node_element && LocalName(node) == name;
}

// The element's text (all of its text and CDATA children, in order).
std::string Text(const pugi::xml_node& node) {
  pugi::xml_node first = node.first_child();
  if (!first) return {};
  if (!first.next_sibling() &&
      (first.type() == pugi::node_pcdata || first.type() == pugi::node_cdata)) {
    return first.value();
  }
  std::string out;
  for (pugi::xml_node c = first; c; c = c.next_sibling()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
  }
  return out;
}

pugi::xml_node Child(const pugi::xml_node& parent, std::string_view name) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (IsElement(c, name)) return c;
  }
  return {};
}

std::string ChildText(const pugi::xml_node& parent, std::string_view name) {
  return Text(Child(parent, name));
}

std::string_view Trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

bool ParseBool(const pugi::xml_node& node) { return IEquals(Trim(Text(node)), "true"); }

Status Malformed(std::string_view what, std::string_view detail) {
  return Internal("malformed " + std::string(what) +
                  " response from the gateway: " + std::string(detail));
}

S3ErrorBody ErrorFromNode(const pugi::xml_node& error) {
  S3ErrorBody out;
  for (pugi::xml_node c = error.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string_view name = LocalName(c);
    if (name == "Code") {
      out.code = Trim(Text(c));
    } else if (name == "Message") {
      out.message = Text(c);
    } else if (name == "RequestId") {
      out.request_id = Trim(Text(c));
    } else if (name == "Resource") {
      out.resource = Text(c);
    }
  }
  return out;
}

bool HoldsElementOf(const pugi::xml_node& node, const Answer& answer) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    for (std::string_view element : answer.elements) {
      if (LocalName(c) == element) return true;
    }
  }
  return false;
}

bool IsNamedAfter(const pugi::xml_node& node, const Answer& answer) {
  if (node.type() != pugi::node_element) return false;
  std::string_view name = LocalName(node);
  for (std::string_view stem : answer.stems) {
    if (!name.starts_with(stem)) continue;
    std::string_view suffix = name.substr(stem.size());
    if (suffix == "Result" || suffix == "Response") return true;
  }
  return false;
}

// The root or one of its children, the first that `is_answer` accepts.
template <typename Predicate>
pugi::xml_node FindAnswer(const pugi::xml_node& root, const Answer& answer, Predicate is_answer) {
  if (is_answer(root, answer)) return root;
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && is_answer(c, answer)) return c;
  }
  return {};
}

// The <Error> of an error document: <Error> itself, or one inside
// <ErrorResponse> (the AWS query protocol's wrapper). Not the <Error>
// entries of a DeleteResult.
pugi::xml_node ErrorElement(const pugi::xml_node& root) {
  if (IsElement(root, "Error")) return root;
  if (IsElement(root, "ErrorResponse")) return Child(root, "Error");
  return {};
}

// Parses `body` and finds the element holding `answer`. An <Error> document
// (some gateways send one inside a 200) becomes its Status.
Status Load(std::string_view body, const Answer& answer, pugi::xml_document* doc,
            pugi::xml_node* found) {
  pugi::xml_parse_result parsed =
      doc->load_buffer(body.data(), body.size(), kParseOptions, pugi::encoding_utf8);
  if (!parsed) {
    return Malformed(answer.what, body.empty() ? "empty body" : parsed.description());
  }
  pugi::xml_node root = doc->document_element();
  if (pugi::xml_node error = ErrorElement(root)) {
    Status s = StatusFromS3Error(ErrorFromNode(error), 200, answer.what);
    // AWS documents an InternalError inside a 200 as worth retrying.
    if (s.code() == StatusCode::kInternal) {
      Status retry(StatusCode::kUnavailable, s.message());
      retry.WithS3(s.http_status(), s.s3_code(), s.request_id());
      return retry;
    }
    return s;
  }
  *found = FindAnswer(root, answer, HoldsElementOf);
  if (!*found) *found = FindAnswer(root, answer, IsNamedAfter);
  if (*found) return Status::Ok();
  return Malformed(answer.what, "expected <" + std::string(answer.stems.front()) +
                                    "Result>, got <" + std::string(LocalName(root).substr(0, 64)) +
                                    ">");
}

// The answers, each with the elements that carry it.
constexpr std::string_view kListBucketsStems[] = {"ListAllMyBuckets"};
constexpr std::string_view kListBucketsElements[] = {"Buckets", "Owner"};
constexpr Answer kListBuckets{"ListBuckets", kListBucketsStems, kListBucketsElements};

constexpr std::string_view kListObjectsStems[] = {"ListBucket"};
constexpr std::string_view kListObjectsElements[] = {
    "Contents",   "CommonPrefixes", "IsTruncated", "NextContinuationToken",
    "NextMarker", "KeyCount",       "Name",        "MaxKeys"};
constexpr Answer kListObjects{"ListObjects", kListObjectsStems, kListObjectsElements};

constexpr std::string_view kInitiateStems[] = {"InitiateMultipartUpload", "CreateMultipartUpload"};
constexpr std::string_view kInitiateElements[] = {"UploadId"};
constexpr Answer kInitiateMultipart{"InitiateMultipartUpload", kInitiateStems, kInitiateElements};

constexpr std::string_view kCompleteStems[] = {"CompleteMultipartUpload"};
constexpr std::string_view kCompleteElements[] = {"ETag", "Location"};
constexpr Answer kCompleteMultipart{"CompleteMultipartUpload", kCompleteStems, kCompleteElements};

constexpr std::string_view kListPartsStems[] = {"ListParts"};
constexpr std::string_view kListPartsElements[] = {
    "Part", "IsTruncated", "NextPartNumberMarker", "PartNumberMarker", "MaxParts", "UploadId"};
constexpr Answer kListParts{"ListParts", kListPartsStems, kListPartsElements};

constexpr std::string_view kListUploadsStems[] = {"ListMultipartUploads"};
constexpr std::string_view kListUploadsElements[] = {
    "Upload", "IsTruncated", "NextKeyMarker", "NextUploadIdMarker", "MaxUploads", "KeyMarker"};
constexpr Answer kListUploads{"ListMultipartUploads", kListUploadsStems, kListUploadsElements};

constexpr std::string_view kDeleteStems[] = {"Delete", "DeleteObjects"};
constexpr std::string_view kDeleteElements[] = {"Deleted", "Error"};
constexpr Answer kDeleteObjects{"DeleteObjects", kDeleteStems, kDeleteElements};

// CopyPartResult is UploadPartCopy's twin of CopyObjectResult.
constexpr std::string_view kCopyStems[] = {"CopyObject", "CopyPart"};
constexpr std::string_view kCopyElements[] = {"ETag", "LastModified"};
constexpr Answer kCopyObject{"CopyObject", kCopyStems, kCopyElements};

constexpr std::string_view kTaggingStems[] = {"Tagging", "GetObjectTagging"};
constexpr std::string_view kTaggingElements[] = {"TagSet"};
constexpr Answer kTagging{"GetObjectTagging", kTaggingStems, kTaggingElements};

// Decodes an EncodingType=url value. AWS writes a space as '+' (and a '+' as
// %2B); Ceph RGW writes %20. Both decode the same way.
bool UrlDecode(std::string* value) {
  if (value->find_first_of("%+") == std::string::npos) return true;
  for (char& c : *value) {
    if (c == '+') c = ' ';
  }
  return UriDecode(*value, value);
}

bool IsUrlEncoded(const pugi::xml_node& root) {
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
    if (IsElement(c, "EncodingType")) return IEquals(Trim(Text(c)), "url");
  }
  return false;
}

}  // namespace detail

using namespace detail;  // NOLINT(google-build-using-namespace): this file's own helpers

std::string UnquoteEtag(std::string_view etag) {
  etag = Trim(etag);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

bool ParseError(std::string_view body, S3ErrorBody* out) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size(), kParseOptions, pugi::encoding_utf8)) return false;
  pugi::xml_node error = ErrorElement(doc.document_element());
  if (!error) return false;
  *out = ErrorFromNode(error);
  return true;
}

StatusOr<std::vector<BucketInfo>> ParseListBuckets(std::string_view body) {
  pugi::xml_document doc;
  pugi::xml_node root;
  RETURN_IF_ERROR(Load(body, kListBuckets, &doc, &root));
  std::vector<BucketInfo> buckets;
  for (pugi::xml_node b = Child(root, "Buckets").first_child(); b; b = b.next_sibling()) {
    if (!IsElement(b, "Bucket")) continue;
    BucketInfo info;
    info.name = ChildText(b, "Name");
    info.creation_date = Trim(ChildText(b, "CreationDate"));
    if (info.name.empty()) return Malformed(kListBuckets.what, "a bucket without a name");
    buckets.push_back(std::move(info));
  }
  return buckets;
}

StatusOr<ListPage> ParseListObjects(std::string_view body) {
  constexpr std::string_view kWhat = kListObjects.what;
  pugi::xml_document doc;
  pugi::xml_node root;
  RETURN_IF_ERROR(Load(body, kListObjects, &doc, &root));
  const bool url = IsUrlEncoded(root);

  ListPage page;
  std::string next_marker;
  for (pugi::xml_node n = root.first_child(); n; n = n.next_sibling()) {
    if (n.type() != pugi::node_element) continue;
    std::string_view name = LocalName(n);
    if (name == "Contents") {
      ObjectInfo o;
      bool has_key = false;
      for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element) continue;
        std::string_view field = LocalName(c);
        if (field == "Key") {
          o.key = Text(c);
          has_key = true;
        } else if (field == "Size") {
          if (!ParseNumber(c, &o.size)) return Malformed(kWhat, "bad <Size> for " + o.key);
        } else if (field == "ETag") {
          o.etag = UnquoteEtag(Text(c));
        } else if (field == "LastModified") {
          o.last_modified = Trim(Text(c));
        } else if (field == "StorageClass") {
          o.storage_class = Trim(Text(c));
        }
      }
      if (!has_key) return Malformed(kWhat, "<Contents> without <Key>");
      if (url && !UrlDecode(&o.key)) return Malformed(kWhat, "bad url-encoded key " + o.key);
      page.objects.push_back(std::move(o));
    } else if (name == "CommonPrefixes") {
      // One <Prefix> per <CommonPrefixes> (AWS), or several in one (some gateways).
      for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
        if (!IsElement(c, "Prefix")) continue;
        std::string prefix = Text(c);
        if (url && !UrlDecode(&prefix)) return Malformed(kWhat, "bad url-encoded prefix " + prefix);
        page.common_prefixes.push_back(std::move(prefix));
      }
    } else if (name == "IsTruncated") {
      page.truncated = ParseBool(n);
    } else if (name == "NextContinuationToken") {
      page.next_token = Text(n);
    } else if (name == "NextMarker") {
      next_marker = Text(n);
      if (url && !UrlDecode(&next_marker)) return Malformed(kWhat, "bad url-encoded NextMarker");
    }
    // Name, Prefix, Delimiter, MaxKeys, KeyCount, ContinuationToken,
    // StartAfter, Marker echo the request: nothing to take from them.
  }

  if (next_marker.empty() && page.truncated) {
    // V1 sends NextMarker only with a delimiter: continue after the greatest
    // name on the page, be it a key or a common prefix.
    const std::string* last = nullptr;
    if (!page.objects.empty()) last = &page.objects.back().key;
    if (!page.common_prefixes.empty() && (last == nullptr || page.common_prefixes.back() > *last)) {
      last = &page.common_prefixes.back();
    }
    if (last != nullptr) next_marker = *last;
  }
  page.next_marker = std::move(next_marker);
  if (page.truncated && page.next_token.empty() && page.next_marker.empty()) {
    return Malformed(kWhat, "a truncated page with nothing to continue from");
  }
  return page;
}

StatusOr<std::string> ParseInitiateMultipart(std::string_view body) {
  pugi::xml_document doc;
  pugi::xml_node root;
  RETURN_IF_ERROR(Load(body, kInitiateMultipart, &doc, &root));
  std::string upload_id(Trim(ChildText(root, "UploadId")));
  if (upload_id.empty()) return Malformed(kInitiateMultipart.what, "no <UploadId>");
  return upload_id;
}

StatusOr<std::string> ParseCompleteMultipart(std::string_view body) {
  pugi::xml_document doc;
  pugi::xml_node root;
  RETURN_IF_ERROR(Load(body, kCompleteMultipart, &doc, &root));
  return UnquoteEtag(ChildText(root, "ETag"));
}

StatusOr<PartsPage> ParseListParts(std::string_view body) {
  constexpr std::string_view kWhat = kListParts.what;
  pugi::xml_document doc;
  pugi::xml_node root;
  RETURN_IF_ERROR(Load(body, kListParts, &doc, &root));
  PartsPage page;
  for (pugi::xml_node n = root.first_child(); n; n = n.next_sibling()) {
    if (n.type() != pugi::node_element) continue;
    std::string_view name = LocalName(n);
    if (name == "Part") {
      PartInfo part;
      if (!ParseNumber(Child(n, "PartNumber"), &part.number)) {
        return Malformed(kWhat, "a <Part> without a valid <PartNumber>");
      }
      part.etag = UnquoteEtag(ChildText(n, "ETag"));
      pugi::xml_node size = Child(n, "Size");
      if (size && !ParseNumber(size, &part.size)) return Malformed(kWhat, "bad <Size>");
      page.parts.push_back(std::move(part));
    } else if (name == "IsTruncated") {
      page.truncated = ParseBool(n);
    } else if (name == "NextPartNumberMarker") {
      if (!ParseNumber(n, &page.next_part_number_marker)) page.next_part_number_marker = 0;
    }
  }
  if (page.truncated && page.next_part_number_marker <= 0 && !page.parts.empty()) {
    page.next_part_number_marker = page.parts.back().number;
  }
  if (page.truncated && page.next_part_number_marker <= 0) {
    return Malformed(kWhat, "a truncated page with nothing to continue from");
  }
  return page;
}

StatusOr<UploadsPage> ParseListMultipartUploads(std::string_view body) {
  constexpr std::string_view kWhat = kListUploads.what;
  pugi::xml_document doc;
  pugi::xml_node root;
  RETURN_IF_ERROR(Load(body, kListUploads, &doc, &root));
  const bool url = IsUrlEncoded(root);
  UploadsPage page;
  for (pugi::xml_node n = root.first_child(); n; n = n.next_sibling()) {
    if (n.type() != pugi::node_element) continue;
    std::string_view name = LocalName(n);
    if (name == "Upload") {
      UploadInfo u;
      u.key = ChildText(n, "Key");
      u.upload_id = Trim(ChildText(n, "UploadId"));
      u.initiated = Trim(ChildText(n, "Initiated"));
      if (u.upload_id.empty()) return Malformed(kWhat, "an <Upload> without <UploadId>");
      if (url && !UrlDecode(&u.key)) return Malformed(kWhat, "bad url-encoded key " + u.key);
      page.uploads.push_back(std::move(u));
    } else if (name == "IsTruncated") {
      page.truncated = ParseBool(n);
    } else if (name == "NextKeyMarker") {
      page.next_key_marker = Text(n);
      if (url && !UrlDecode(&page.next_key_marker)) {
        return Malformed(kWhat, "bad url-encoded NextKeyMarker");
      }
    } else if (name == "NextUploadIdMarker") {
      page.next_upload_id_marker = Trim(Text(n));
    }
  }
  if (page.truncated && page.next_key_marker.empty() && !page.uploads.empty()) {
    page.next_key_marker = page.uploads.back().key;
    page.next_upload_id_marker = page.uploads.back().upload_id;
  }
  if (page.truncated && page.next_key_marker.empty()) {
    return Malformed(kWhat, "a truncated page with nothing to continue from");
  }
  return page;
}

StatusOr<std::vector<DeleteError>> ParseDeleteResult(std::string_view body) {
  pugi::xml_document doc;
  pugi::xml_node root;
  RETURN_IF_ERROR(Load(body, kDeleteObjects, &doc, &root));
  std::vector<DeleteError> errors;
  for (pugi::xml_node n = root.first_child(); n; n = n.next_sibling()) {
    if (!IsElement(n, "Error")) continue;
    DeleteError e;
    e.key = ChildText(n, "Key");
    e.code = Trim(ChildText(n, "Code"));
    e.message = ChildText(n, "Message");
    // Older Ceph RGW puts the HTTP status in <Code> and the S3 code in
    // <Message> (<Code>403</Code><Message>AccessDenied</Message>).
    if (!e.code.empty() && e.code.find_first_not_of("0123456789") == std::string::npos &&
        !e.message.empty()) {
      std::string http = std::move(e.code);
      e.code = Trim(e.message);
      e.message = "HTTP " + http;
    }
    errors.push_back(std::move(e));
  }
  return errors;
}

StatusOr<std::string> ParseCopyObject(std::string_view body) {
  pugi::xml_document doc;
  pugi::xml_node root;
  RETURN_IF_ERROR(Load(body, kCopyObject, &doc, &root));
  return UnquoteEtag(ChildText(root, "ETag"));
}

StatusOr<std::vector<std::pair<std::string, std::string>>> ParseTagging(std::string_view body) {
  pugi::xml_document doc;
  pugi::xml_node root;
  RETURN_IF_ERROR(Load(body, kTagging, &doc, &root));
  std::vector<std::pair<std::string, std::string>> tags;
  for (pugi::xml_node n = Child(Child(root, "TagSet"), "Tag"); n; n = n.next_sibling()) {
    if (!IsElement(n, "Tag")) continue;
    tags.emplace_back(ChildText(n, "Key"), ChildText(n, "Value"));
  }
  return tags;
}

}  // namespace gwsync::s3::xml
