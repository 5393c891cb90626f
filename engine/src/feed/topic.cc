#include "feed/topic.h"

#include <vector>

#include "s3/xml.h"

namespace gwsync::feed {
namespace {

using Form = std::vector<std::pair<std::string, std::string>>;

// The text of the first <name>...</name> in `xml` ("" when none). RGW's
// answers here are small and flat; entities are not expected in them.
std::string Element(const std::string& xml, const std::string& name, size_t from = 0) {
  size_t open = xml.find("<" + name + ">", from);
  if (open == std::string::npos) return "";
  open += name.size() + 2;
  size_t close = xml.find("</" + name + ">", open);
  return close == std::string::npos ? "" : xml.substr(open, close - open);
}

StatusOr<std::string> Post(const s3::Client& client, const Form& form, const std::string& what) {
  return s3::Wait<std::string>([&](auto done) { client.PostAction(form, what, done); });
}

// RGW's ARN of a topic: arn:aws:sns:ZONEGROUP:TENANT:NAME. Asked of the
// gateway (GetTopic needs the ARN, so the list is read).
StatusOr<std::string> FindTopicArn(const s3::Client& client, const std::string& topic) {
  ASSIGN_OR_RETURN(std::string body, Post(client, {{"Action", "ListTopics"}}, "the topic list"));
  for (size_t at = 0;;) {
    size_t open = body.find("<TopicArn>", at);
    if (open == std::string::npos) return std::string();
    std::string arn = Element(body, "TopicArn", open);
    at = open + 1;
    if (arn.size() > topic.size() && arn.ends_with(":" + topic)) return arn;
  }
}

std::string NotificationXml(const std::string& arn) {
  return "<NotificationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
         "<TopicConfiguration><Id>" +
         std::string(kNotificationId) + "</Id><Topic>" + s3::xml::Escape(arn) +
         "</Topic><Event>s3:ObjectCreated:*</Event><Event>s3:ObjectRemoved:*</Event>"
         "</TopicConfiguration></NotificationConfiguration>";
}

}  // namespace

StatusOr<std::string> SetUpTopic(const s3::Client& client, const TopicSpec& spec) {
  std::string endpoint = "amqp://";
  if (spec.credentials.given) {
    endpoint += spec.credentials.user + ":" + spec.credentials.password + "@";
  }
  // RGW takes the vhost as written (no %-escapes), and "/" when none is.
  endpoint += spec.broker.host + ":" + std::to_string(spec.broker.port);
  if (spec.broker.vhost != "/") endpoint += "/" + spec.broker.vhost;
  Form form = {{"Action", "CreateTopic"}, {"Name", spec.topic}};
  int entries = 0;
  auto attribute = [&form, &entries](const std::string& key, const std::string& value) {
    const std::string n = std::to_string(++entries);
    form.emplace_back("Attributes.entry." + n + ".key", key);
    form.emplace_back("Attributes.entry." + n + ".value", value);
  };
  attribute("push-endpoint", endpoint);
  attribute("persistent", "true");
  attribute("amqp-exchange", spec.exchange);
  attribute("amqp-ack-level", "broker");
  const bool https = client.options().endpoint.scheme == "https";
  auto created = Post(client, form, "topic '" + spec.topic + "'");
  if (!created.ok()) {
    Status s = created.status();
    if (spec.credentials.given && !https && s.code() == StatusCode::kInvalidArgument) {
      // The message must not carry the password: RGW's own text does not.
      return Status(s.code(),
                    "topic '" + spec.topic +
                        "': the gateway refused the broker's user and "
                        "password over plain HTTP (RGW keeps no secret sent in clear). Run `feed "
                        "setup` against the gateway's https:// endpoint, or give the gateway a "
                        "broker user without a password on loopback (no --broker-credentials). "
                        "Gateway said: " +
                        s.message());
    }
    return s;
  }
  std::string arn = Element(*created, "TopicArn");
  if (arn.empty()) {
    return Status(StatusCode::kInternal,
                  "topic '" + spec.topic + "': the gateway's answer has no TopicArn");
  }
  Status put = s3::WaitStatus([&](auto done) {
    client.PutBucketSubresource(spec.bucket, "notification", NotificationXml(arn), done);
  });
  if (!put.ok()) return put.Annotate("bucket notification of '" + spec.bucket + "'");
  return arn;
}

StatusOr<TopicStatus> GetTopicStatus(const s3::Client& client, const std::string& bucket,
                                     const std::string& topic) {
  TopicStatus st;
  ASSIGN_OR_RETURN(st.arn, FindTopicArn(client, topic));
  if (!st.arn.empty()) {
    ASSIGN_OR_RETURN(std::string body,
                     Post(client, {{"Action", "GetTopicAttributes"}, {"TopicArn", st.arn}},
                          "topic '" + topic + "'"));
    // The endpoint is a JSON document inside the XML (its quotes escaped).
    size_t at = body.find("EndpointAddress");
    size_t from = at == std::string::npos ? at : body.find("amqp://", at);
    if (from != std::string::npos) {
      size_t end = body.find_first_of("\"&<, ", from);
      st.endpoint = body.substr(from, end == std::string::npos ? end : end - from);
      // A stored user and password are never shown.
      size_t user = st.endpoint.find('@');
      if (user != std::string::npos) st.endpoint = "amqp://***@" + st.endpoint.substr(user + 1);
    }
    size_t p = body.find("Persistent");
    st.persistent = p != std::string::npos && body.substr(p, 40).find("true") != std::string::npos;
  }
  auto config = s3::Wait<std::string>(
      [&](auto done) { client.GetBucketSubresource(bucket, "notification", done); });
  if (!config.ok()) return config.status().Annotate("bucket notification of '" + bucket + "'");
  for (size_t at = 0;;) {
    size_t open = config->find("<TopicConfiguration>", at);
    if (open == std::string::npos) break;
    size_t close = config->find("</TopicConfiguration>", open);
    std::string one = config->substr(open, close == std::string::npos ? close : close - open);
    at = open + 1;
    if (Element(one, "Id") != kNotificationId) continue;
    st.notification = true;
    for (size_t e = 0;;) {
      size_t ev = one.find("<Event>", e);
      if (ev == std::string::npos) break;
      st.events += (st.events.empty() ? "" : ",") + Element(one, "Event", ev);
      e = ev + 1;
    }
  }
  return st;
}

Status RemoveTopic(const s3::Client& client, const std::string& bucket, const std::string& topic) {
  Status removed = s3::WaitStatus([&](auto done) {
    client.DeleteBucketSubresource(bucket, "notification", done, kNotificationId);
  });
  if (!removed.ok() && removed.code() != StatusCode::kNotFound) {
    return removed.Annotate("bucket notification of '" + bucket + "'");
  }
  ASSIGN_OR_RETURN(std::string arn, FindTopicArn(client, topic));
  if (arn.empty()) return Status::Ok();
  auto deleted =
      Post(client, {{"Action", "DeleteTopic"}, {"TopicArn", arn}}, "topic '" + topic + "'");
  return deleted.ok() || deleted.status().code() == StatusCode::kNotFound ? Status::Ok()
                                                                          : deleted.status();
}

}  // namespace gwsync::feed
