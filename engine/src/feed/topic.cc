#include "feed/topic.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "s3/xml.h"

namespace gwsync::feed {
namespace {

using Form = std::vector<std::pair<std::string, std::string>>;

StatusOr<std::string> Post(const s3::Client& client, const Form& form, const std::string& what) {
  return s3::Wait<std::string>([&](auto done) { client.PostAction(form, what, done); });
}

// RGW's ARN of a topic: arn:aws:sns:ZONEGROUP:TENANT:NAME. Asked of the
// gateway (GetTopic needs the ARN, so the list is read).
StatusOr<std::string> FindTopicArn(const s3::Client& client, const std::string& topic) {
  ASSIGN_OR_RETURN(std::string body, Post(client, {{"Action", "ListTopics"}}, "the topic list"));
  ASSIGN_OR_RETURN(std::vector<std::string> arns, s3::xml::ParseListTopics(body));
  for (const std::string& arn : arns) {
    if (arn.size() > topic.size() && arn.ends_with(":" + topic)) return arn;
  }
  return std::string();
}

// GetTopicAttributes' EndPoint entry is a JSON document:
// {"EndpointAddress":"amqp://...","Persistent":"true",...}.
void ReadEndpoint(const std::string& json, TopicStatus* st) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return;
  if (auto a = doc.find("EndpointAddress"); a != doc.end() && a->is_string()) {
    st->endpoint = a->get<std::string>();
    // A stored user and password are never shown.
    size_t user = st->endpoint.find('@');
    if (user != std::string::npos) st->endpoint = "amqp://***@" + st->endpoint.substr(user + 1);
  }
  if (auto p = doc.find("Persistent"); p != doc.end()) {
    st->persistent = p->is_boolean() ? p->get<bool>()
                                     : p->is_string() && (p->get<std::string>() == "true" ||
                                                          p->get<std::string>() == "True");
  }
}

// "host:port[/vhost]" of an amqp:// address, without its user and password.
std::string BrokerOf(std::string_view address) {
  if (address.starts_with("amqp://")) address.remove_prefix(7);
  if (size_t at = address.find('@'); at != std::string_view::npos) address.remove_prefix(at + 1);
  return std::string(address);
}

// RGW 16.2 pushes every topic on one broker (host, port, vhost) through one
// connection, bound to the exchange of the topic that opened it: events of
// a topic naming another exchange there are never delivered ("exchange
// mismatch" in the gateway's log), and a feed's own marker, published by
// gwsync, would not show it. So a new topic takes the exchange the other
// topics on its broker name, or another vhost.
Status CheckOneExchangePerBroker(const s3::Client& client, const TopicSpec& spec,
                                 const std::string& broker) {
  ASSIGN_OR_RETURN(std::string body, Post(client, {{"Action", "ListTopics"}}, "the topic list"));
  ASSIGN_OR_RETURN(std::vector<std::string> arns, s3::xml::ParseListTopics(body));
  for (const std::string& arn : arns) {
    if (arn.ends_with(":" + spec.topic)) continue;  // ours, updated
    auto attrs = Post(client, {{"Action", "GetTopicAttributes"}, {"TopicArn", arn}}, arn);
    if (!attrs.ok()) continue;  // gone meanwhile
    ASSIGN_OR_RETURN(auto entries, s3::xml::ParseTopicAttributes(*attrs));
    for (const auto& [key, value] : entries) {
      if (key != "EndPoint") continue;
      nlohmann::json doc = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
      if (!doc.is_object() || !doc.contains("EndpointAddress") ||
          !doc["EndpointAddress"].is_string() || !doc.contains("EndpointArgs") ||
          !doc["EndpointArgs"].is_string()) {
        continue;
      }
      if (BrokerOf(doc["EndpointAddress"].get<std::string>()) != broker) continue;
      const std::string args = "&" + doc["EndpointArgs"].get<std::string>() + "&";
      const size_t at = args.find("&amqp-exchange=");
      if (at == std::string::npos) continue;
      const size_t from = at + 15;
      const std::string exchange = args.substr(from, args.find('&', from) - from);
      if (exchange == spec.exchange) continue;
      return Status(StatusCode::kFailedPrecondition,
                    "topic '" + arn.substr(arn.rfind(':') + 1) + "' already sends to exchange '" +
                        exchange + "' on the broker amqp://" + broker +
                        ": the gateway sends every topic on one broker through one exchange, so "
                        "the events of exchange '" +
                        spec.exchange + "' would never arrive. Give --exchange " + exchange +
                        " (and a queue of this bucket's own), or another vhost");
    }
  }
  return Status::Ok();
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
  RETURN_IF_ERROR(CheckOneExchangePerBroker(client, spec, BrokerOf(endpoint)));
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
  auto arn = s3::xml::ParseCreateTopic(*created);
  if (!arn.ok()) return arn.status().Annotate("topic '" + spec.topic + "'");
  Status put = s3::WaitStatus([&](auto done) {
    client.PutBucketSubresource(spec.bucket, "notification", NotificationXml(*arn), done);
  });
  if (!put.ok()) return put.Annotate("bucket notification of '" + spec.bucket + "'");
  return *arn;
}

StatusOr<TopicStatus> GetTopicStatus(const s3::Client& client, const std::string& bucket,
                                     const std::string& topic) {
  TopicStatus st;
  ASSIGN_OR_RETURN(st.arn, FindTopicArn(client, topic));
  if (!st.arn.empty()) {
    ASSIGN_OR_RETURN(std::string body,
                     Post(client, {{"Action", "GetTopicAttributes"}, {"TopicArn", st.arn}},
                          "topic '" + topic + "'"));
    ASSIGN_OR_RETURN(auto entries, s3::xml::ParseTopicAttributes(body));
    for (const auto& [key, value] : entries) {
      if (key == "EndPoint") ReadEndpoint(value, &st);
    }
  }
  auto config = s3::Wait<std::string>(
      [&](auto done) { client.GetBucketSubresource(bucket, "notification", done); });
  if (!config.ok()) return config.status().Annotate("bucket notification of '" + bucket + "'");
  auto topics = s3::xml::ParseNotificationConfiguration(*config);
  if (!topics.ok()) return topics.status().Annotate("bucket notification of '" + bucket + "'");
  for (const s3::xml::TopicConfiguration& t : *topics) {
    if (t.id != kNotificationId) continue;
    st.notification = true;
    for (const std::string& e : t.events) st.events += (st.events.empty() ? "" : ",") + e;
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
