// The reading helpers behind s3/xml.h, shared by its parsers (xml.cc,
// xml_versions.cc, xml_sns.cc). Private to the s3 module. Pure functions, any thread.
#pragma once

#include <charconv>
#include <pugixml.hpp>
#include <span>
#include <string>
#include <string_view>

#include "gwsync/status.h"

namespace gwsync::s3::xml::detail {

// An element's name without its namespace prefix ("s3:Key" -> "Key").
std::string_view LocalName(const pugi::xml_node& node);
bool IsElement(const pugi::xml_node& node, std::string_view name);
// The element's text (all of its text and CDATA children, in order).
std::string Text(const pugi::xml_node& node);
// The first child element named `name` (any namespace prefix), and its text.
pugi::xml_node Child(const pugi::xml_node& parent, std::string_view name);
std::string ChildText(const pugi::xml_node& parent, std::string_view name);
std::string_view Trim(std::string_view s);
bool ParseBool(const pugi::xml_node& node);
Status Malformed(std::string_view what, std::string_view detail);

template <typename T>
bool ParseNumber(const pugi::xml_node& node, T* out) {
  std::string text = Text(node);
  std::string_view s = Trim(text);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

// What identifies one kind of answer. Gateways disagree on the root's name
// (AWS and RGW write <CompleteMultipartUploadResult>, moto
// <CompleteMultipartUploadResponse>) and on its namespace, so, as the AWS
// SDKs do, the name is not required: the answer is the element that holds
// one of `elements` (the root, or a child of a wrapping root such as
// <XResponse><XResult>...</XResult></XResponse>), or, for an answer that
// may be empty (a quiet DeleteResult), the element named after one of
// `stems` with a Result or Response suffix.
struct Answer {
  std::string_view what;  // the operation, for messages
  std::span<const std::string_view> stems;
  std::span<const std::string_view> elements;
};

// Parses `body` and finds the element holding `answer`. An <Error> document
// (some gateways send one inside a 200) becomes its Status.
Status Load(std::string_view body, const Answer& answer, pugi::xml_document* doc,
            pugi::xml_node* found);

// Decodes an EncodingType=url value ('+' and %20 are spaces).
bool UrlDecode(std::string* value);
// Whether the answer says its names are url-encoded.
bool IsUrlEncoded(const pugi::xml_node& root);

}  // namespace gwsync::s3::xml::detail
