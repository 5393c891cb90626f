// The answers of the SNS-style topic API and the bucket notification
// configuration (s3/xml.h), apart from the S3 object parsers.
#include "s3/xml.h"
#include "s3/xml_detail.h"

namespace gwsync::s3::xml {
namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): the module's own helpers

constexpr std::string_view kCreateTopicStems[] = {"CreateTopic"};
constexpr std::string_view kCreateTopicElements[] = {"TopicArn"};
constexpr Answer kCreateTopic{"CreateTopic", kCreateTopicStems, kCreateTopicElements};

constexpr std::string_view kListTopicsStems[] = {"ListTopics"};
constexpr std::string_view kListTopicsElements[] = {"Topics"};
constexpr Answer kListTopics{"ListTopics", kListTopicsStems, kListTopicsElements};

constexpr std::string_view kAttributesStems[] = {"GetTopicAttributes"};
constexpr std::string_view kAttributesElements[] = {"Attributes"};
constexpr Answer kAttributes{"GetTopicAttributes", kAttributesStems, kAttributesElements};

constexpr std::string_view kNotificationStems[] = {"NotificationConfiguration"};
constexpr std::string_view kNotificationElements[] = {"TopicConfiguration"};
constexpr Answer kNotification{"GetBucketNotificationConfiguration", kNotificationStems,
                               kNotificationElements};

}  // namespace

StatusOr<std::string> ParseCreateTopic(std::string_view body) {
  pugi::xml_document doc;
  pugi::xml_node result;
  RETURN_IF_ERROR(Load(body, kCreateTopic, &doc, &result));
  std::string arn(Trim(ChildText(result, "TopicArn")));
  if (arn.empty()) return Malformed(kCreateTopic.what, "no TopicArn");
  return arn;
}

StatusOr<std::vector<std::string>> ParseListTopics(std::string_view body) {
  pugi::xml_document doc;
  pugi::xml_node result;
  RETURN_IF_ERROR(Load(body, kListTopics, &doc, &result));
  std::vector<std::string> arns;
  for (pugi::xml_node m = Child(result, "Topics").first_child(); m; m = m.next_sibling()) {
    if (!IsElement(m, "member")) continue;
    std::string arn(Trim(ChildText(m, "TopicArn")));
    if (!arn.empty()) arns.push_back(std::move(arn));
  }
  return arns;
}

StatusOr<std::vector<std::pair<std::string, std::string>>> ParseTopicAttributes(
    std::string_view body) {
  pugi::xml_document doc;
  pugi::xml_node result;
  RETURN_IF_ERROR(Load(body, kAttributes, &doc, &result));
  std::vector<std::pair<std::string, std::string>> entries;
  for (pugi::xml_node e = Child(result, "Attributes").first_child(); e; e = e.next_sibling()) {
    if (IsElement(e, "entry")) entries.emplace_back(ChildText(e, "key"), ChildText(e, "value"));
  }
  return entries;
}

StatusOr<std::vector<TopicConfiguration>> ParseNotificationConfiguration(std::string_view body) {
  std::vector<TopicConfiguration> out;
  if (Trim(body).empty()) return out;  // no configuration at all
  pugi::xml_document doc;
  pugi::xml_node config;
  // An empty <NotificationConfiguration/> holds none of the elements Load
  // looks for, and is no <...Result>: it is taken by its name.
  if (doc.load_buffer(body.data(), body.size()) &&
      IsElement(doc.document_element(), "NotificationConfiguration")) {
    config = doc.document_element();
  } else {
    RETURN_IF_ERROR(Load(body, kNotification, &doc, &config));
  }
  for (pugi::xml_node t = config.first_child(); t; t = t.next_sibling()) {
    if (!IsElement(t, "TopicConfiguration")) continue;
    TopicConfiguration c;
    for (pugi::xml_node f = t.first_child(); f; f = f.next_sibling()) {
      if (IsElement(f, "Id")) {
        c.id = Trim(Text(f));
      } else if (IsElement(f, "Topic")) {
        c.topic = Trim(Text(f));
      } else if (IsElement(f, "Event")) {
        c.events.emplace_back(Trim(Text(f)));
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace gwsync::s3::xml
