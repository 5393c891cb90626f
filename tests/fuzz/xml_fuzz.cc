// Every S3 XML answer parser (s3/xml.h) on one gateway body: none may crash,
// and an <Error> document found must map onto a non-OK Status. The input also
// feeds the builders: keys cut at NUL must come back from BuildDelete's XML
// exactly as given, as xml.h promises for tab, LF, CR and printable text.
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "s3/errors.h"
#include "s3/xml.h"

namespace xml = gwsync::s3::xml;

namespace {

bool Xml10Text(std::string_view key) {
  for (char ch : key) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

void CheckDeleteRoundTrip(std::string_view input) {
  gwsync::fuzz::Fields fields(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  std::vector<std::string> keys;
  while (!fields.empty() && keys.size() < 16) keys.emplace_back(fields.Next('\0'));
  std::string body = xml::BuildDelete(keys);
  pugi::xml_document doc;
  // The options s3/xml.cc reads with: whitespace-only text is kept.
  pugi::xml_parse_result parsed =
      doc.load_buffer(body.data(), body.size(), pugi::parse_default | pugi::parse_ws_pcdata_single);
  bool all_text = true;
  for (const std::string& k : keys) all_text = all_text && Xml10Text(k);
  if (!all_text) return;  // character references XML 1.0 forbids: no promise
  FUZZ_CHECK(parsed);
  size_t i = 0;
  for (pugi::xml_node object : doc.child("Delete").children("Object")) {
    FUZZ_CHECK(i < keys.size());
    FUZZ_CHECK(object.child("Key").child_value() == keys[i]);
    ++i;
  }
  FUZZ_CHECK(i == keys.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)xml::ParseListBuckets(body);
  if (auto page = xml::ParseListObjects(body); page.ok() && page->truncated) {
    // A truncated page must say where to go on, or a listing never ends.
    FUZZ_CHECK(!page->next_token.empty() || !page->next_marker.empty());
  }
  (void)xml::ParseInitiateMultipart(body);
  (void)xml::ParseCompleteMultipart(body);
  (void)xml::ParseListParts(body);
  (void)xml::ParseListMultipartUploads(body);
  (void)xml::ParseDeleteResult(body);
  (void)xml::ParseCopyObject(body);
  gwsync::s3::S3ErrorBody error;
  if (xml::ParseError(body, &error)) {
    FUZZ_CHECK(!gwsync::s3::StatusFromS3Error(error, 200, "s3://b/k").ok());
  }
  (void)xml::UnquoteEtag(body);
  CheckDeleteRoundTrip(body);
  return 0;
}
