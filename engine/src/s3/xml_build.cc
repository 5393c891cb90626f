// The request bodies gwsync writes: CompleteMultipartUpload and Delete, and
// the escaping they share with other writers (s3::xml::Escape). The parsers
// are in xml.cc.
#include <string>
#include <string_view>
#include <vector>

#include "s3/xml.h"

namespace gwsync::s3::xml {
namespace {

constexpr std::string_view kXmlns = "http://s3.amazonaws.com/doc/2006-03-01/";

void AppendEscaped(std::string* out, std::string_view s) {
  for (char ch : s) {
    switch (ch) {
      case '&':
        *out += "&amp;";
        break;
      case '<':
        *out += "&lt;";
        break;
      case '>':
        *out += "&gt;";
        break;
      case '"':
        *out += "&quot;";
        break;
      case '\'':
        *out += "&apos;";
        break;
      default: {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) {
          // A reference, so that a parser keeps \t \n \r as they are rather
          // than normalising them. Other C0 controls cannot be carried by XML
          // 1.0 at all: a strict gateway rejects the body (MalformedXML).
          *out += "&#" + std::to_string(c) + ";";
        } else {
          out->push_back(ch);
        }
      }
    }
  }
}

void AppendHeader(std::string* out, std::string_view root) {
  *out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<";
  *out += root;
  *out += " xmlns=\"";
  *out += kXmlns;
  *out += "\">";
}

}  // namespace

std::string BuildCompleteMultipart(const std::vector<PartInfo>& parts) {
  std::string out;
  out.reserve(128 + parts.size() * 96);
  AppendHeader(&out, "CompleteMultipartUpload");
  for (const PartInfo& p : parts) {
    out += "<Part><PartNumber>";
    out += std::to_string(p.number);
    out += "</PartNumber><ETag>\"";
    AppendEscaped(&out, UnquoteEtag(p.etag));
    out += "\"</ETag></Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

std::string BuildDelete(const std::vector<std::string>& keys) {
  std::string out;
  size_t total = 0;
  for (const std::string& k : keys) total += k.size() + 32;
  out.reserve(128 + total);
  AppendHeader(&out, "Delete");
  out += "<Quiet>true</Quiet>";
  for (const std::string& k : keys) {
    out += "<Object><Key>";
    AppendEscaped(&out, k);
    out += "</Key></Object>";
  }
  out += "</Delete>";
  return out;
}

std::string Escape(std::string_view s) {
  std::string out;
  AppendEscaped(&out, s);
  return out;
}

}  // namespace gwsync::s3::xml
