#include "feed/amqp.h"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

namespace gwsync::feed {

struct AmqpConnection::Impl {
  amqp_connection_state_t conn = nullptr;
  amqp_channel_t channel = 0;  // 0: none open
  std::string where;           // "broker amqp://host:port/vhost"
  amqp_channel_t next_channel = 1;

  ~Impl() {
    if (conn == nullptr) return;
    if (channel != 0) amqp_channel_close(conn, channel, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn);
  }

  // The reply of the last RPC as a Status; a channel the broker closed is
  // acknowledged, and the next call opens another.
  Status Check(const std::string& what) {
    amqp_rpc_reply_t r = amqp_get_rpc_reply(conn);
    return FromReply(r, what);
  }

  Status FromReply(const amqp_rpc_reply_t& r, const std::string& what) {
    switch (r.reply_type) {
      case AMQP_RESPONSE_NORMAL:
        return Status::Ok();
      case AMQP_RESPONSE_NONE:
        return Status(StatusCode::kUnavailable, where + ": " + what + ": no reply");
      case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        return Status(StatusCode::kUnavailable,
                      where + ": " + what + ": " + amqp_error_string2(r.library_error));
      case AMQP_RESPONSE_SERVER_EXCEPTION:
        break;
    }
    if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
      auto* m = static_cast<amqp_channel_close_t*>(r.reply.decoded);
      std::string text(static_cast<const char*>(m->reply_text.bytes), m->reply_text.len);
      amqp_channel_close_ok_t ok{};
      amqp_send_method(conn, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
      channel = 0;
      StatusCode code = m->reply_code == 404   ? StatusCode::kNotFound
                        : m->reply_code == 403 ? StatusCode::kPermissionDenied
                        : m->reply_code == 406 ? StatusCode::kFailedPrecondition
                                               : StatusCode::kInternal;
      return Status(code, where + ": " + what + ": " + text);
    }
    if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
      auto* m = static_cast<amqp_connection_close_t*>(r.reply.decoded);
      std::string text(static_cast<const char*>(m->reply_text.bytes), m->reply_text.len);
      return Status(StatusCode::kUnavailable, where + ": " + what + ": connection closed: " + text);
    }
    return Status(StatusCode::kInternal, where + ": " + what + ": unexpected reply");
  }

  Status EnsureChannel() {
    if (channel != 0) return Status::Ok();
    amqp_channel_t c = next_channel++;
    amqp_channel_open(conn, c);
    RETURN_IF_ERROR(Check("open channel"));
    channel = c;
    return Status::Ok();
  }
};

namespace {
amqp_bytes_t Bytes(const std::string& s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}
std::string String(const amqp_bytes_t& b) {
  return std::string(static_cast<const char*>(b.bytes), b.len);
}
timeval TimeVal(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}
}  // namespace

AmqpConnection::AmqpConnection(BrokerAddress broker, std::unique_ptr<Impl> impl)
    : broker_(std::move(broker)), impl_(std::move(impl)) {}
AmqpConnection::~AmqpConnection() = default;

StatusOr<std::unique_ptr<AmqpConnection>> AmqpConnection::Open(const BrokerAddress& broker,
                                                               const BrokerCredentials& credentials,
                                                               std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  impl->where = "broker " + broker.Url();
  impl->conn = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(impl->conn);
  if (socket == nullptr) return Status(StatusCode::kInternal, "cannot make an AMQP socket");
  timeval tv = TimeVal(timeout);
  int rc = amqp_socket_open_noblock(socket, broker.host.c_str(), broker.port, &tv);
  if (rc != AMQP_STATUS_OK) {
    return Status(StatusCode::kUnavailable,
                  impl->where + ": cannot connect: " + amqp_error_string2(rc));
  }
  amqp_rpc_reply_t r =
      amqp_login(impl->conn, broker.vhost.c_str(), 0, 131072, /*heartbeat=*/0,
                 AMQP_SASL_METHOD_PLAIN, credentials.user.c_str(), credentials.password.c_str());
  if (r.reply_type != AMQP_RESPONSE_NORMAL) {
    Status s = impl->FromReply(r, "login");
    // RabbitMQ closes the socket on a refused login (ACCESS_REFUSED, or a
    // vhost the user may not use): the library sees the connection end.
    return Status(StatusCode::kPermissionDenied,
                  impl->where + ": login as '" + credentials.user +
                      "' refused (wrong user or password, a vhost it may not use, or guest from "
                      "another host than loopback): " +
                      s.message());
  }
  RETURN_IF_ERROR(impl->EnsureChannel());
  return std::unique_ptr<AmqpConnection>(new AmqpConnection(broker, std::move(impl)));
}

Status AmqpConnection::DeclareExchange(const std::string& name, const std::string& type) {
  RETURN_IF_ERROR(impl_->EnsureChannel());
  amqp_exchange_declare(impl_->conn, impl_->channel, Bytes(name), Bytes(type), 0, /*durable=*/1, 0,
                        0, amqp_empty_table);
  return impl_->Check("declare exchange '" + name + "'");
}

StatusOr<bool> AmqpConnection::ExchangeExists(const std::string& name) {
  RETURN_IF_ERROR(impl_->EnsureChannel());
  amqp_exchange_declare(impl_->conn, impl_->channel, Bytes(name), Bytes("fanout"), /*passive=*/1, 0,
                        0, 0, amqp_empty_table);
  Status s = impl_->Check("exchange '" + name + "'");
  if (s.code() == StatusCode::kNotFound) return false;
  RETURN_IF_ERROR(s);
  return true;
}

Status AmqpConnection::DeleteExchange(const std::string& name) {
  RETURN_IF_ERROR(impl_->EnsureChannel());
  amqp_exchange_delete(impl_->conn, impl_->channel, Bytes(name), 0);
  return impl_->Check("delete exchange '" + name + "'");
}

StatusOr<uint64_t> AmqpConnection::DeclareQueue(const std::string& name) {
  RETURN_IF_ERROR(impl_->EnsureChannel());
  auto* ok = amqp_queue_declare(impl_->conn, impl_->channel, Bytes(name), 0, /*durable=*/1, 0, 0,
                                amqp_empty_table);
  RETURN_IF_ERROR(impl_->Check("declare queue '" + name + "'"));
  return ok ? ok->message_count : 0;
}

StatusOr<uint64_t> AmqpConnection::QueueMessages(const std::string& name) {
  RETURN_IF_ERROR(impl_->EnsureChannel());
  auto* ok = amqp_queue_declare(impl_->conn, impl_->channel, Bytes(name), /*passive=*/1, 0, 0, 0,
                                amqp_empty_table);
  RETURN_IF_ERROR(impl_->Check("queue '" + name + "'"));
  return ok ? ok->message_count : 0;
}

Status AmqpConnection::Bind(const std::string& queue, const std::string& exchange) {
  RETURN_IF_ERROR(impl_->EnsureChannel());
  amqp_queue_bind(impl_->conn, impl_->channel, Bytes(queue), Bytes(exchange), amqp_empty_bytes,
                  amqp_empty_table);
  return impl_->Check("bind queue '" + queue + "' to exchange '" + exchange + "'");
}

Status AmqpConnection::DeleteQueue(const std::string& name) {
  RETURN_IF_ERROR(impl_->EnsureChannel());
  amqp_queue_delete(impl_->conn, impl_->channel, Bytes(name), 0, 0);
  return impl_->Check("delete queue '" + name + "'");
}

Status AmqpConnection::Purge(const std::string& queue) {
  RETURN_IF_ERROR(impl_->EnsureChannel());
  amqp_queue_purge(impl_->conn, impl_->channel, Bytes(queue));
  return impl_->Check("purge queue '" + queue + "'");
}

Status AmqpConnection::PublishConfirmed(const std::string& queue, const std::string& type,
                                        const std::string& message_id, const std::string& body) {
  RETURN_IF_ERROR(impl_->EnsureChannel());
  amqp_confirm_select(impl_->conn, impl_->channel);
  RETURN_IF_ERROR(impl_->Check("confirm mode"));
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG |
                 AMQP_BASIC_CONTENT_TYPE_FLAG;
  props.delivery_mode = 2;  // persistent, as RGW publishes its events
  props.type = Bytes(type);
  props.message_id = Bytes(message_id);
  props.content_type = amqp_cstring_bytes("application/json");
  int rc = amqp_basic_publish(impl_->conn, impl_->channel, amqp_empty_bytes, Bytes(queue),
                              /*mandatory=*/1, 0, &props, Bytes(body));
  if (rc != AMQP_STATUS_OK) {
    return Status(StatusCode::kUnavailable,
                  impl_->where + ": publish to '" + queue + "': " + amqp_error_string2(rc));
  }
  // basic.return (no such queue) comes before the confirm.
  bool returned = false;
  for (;;) {
    amqp_frame_t frame;
    timeval tv = TimeVal(std::chrono::milliseconds(10000));
    rc = amqp_simple_wait_frame_noblock(impl_->conn, &frame, &tv);
    if (rc != AMQP_STATUS_OK) {
      return Status(StatusCode::kUnavailable, impl_->where + ": no confirm for a message to '" +
                                                  queue + "': " + amqp_error_string2(rc));
    }
    if (frame.frame_type != AMQP_FRAME_METHOD) continue;  // a returned message's content
    if (frame.payload.method.id == AMQP_BASIC_RETURN_METHOD) {
      returned = true;
      amqp_message_t message;
      amqp_read_message(impl_->conn, frame.channel, &message, 0);
      amqp_destroy_message(&message);
      continue;
    }
    if (frame.payload.method.id == AMQP_BASIC_ACK_METHOD) break;
    if (frame.payload.method.id == AMQP_BASIC_NACK_METHOD) {
      return Status(StatusCode::kUnavailable,
                    impl_->where + ": the broker refused a message to '" + queue + "'");
    }
  }
  if (returned) return NotFound(impl_->where + ": no queue '" + queue + "'");
  return Status::Ok();
}

Status AmqpConnection::Consume(const std::string& queue, int prefetch) {
  RETURN_IF_ERROR(impl_->EnsureChannel());
  amqp_basic_qos(impl_->conn, impl_->channel, 0, static_cast<uint16_t>(prefetch), 0);
  RETURN_IF_ERROR(impl_->Check("prefetch"));
  amqp_basic_consume(impl_->conn, impl_->channel, Bytes(queue), amqp_empty_bytes, 0,
                     /*no_ack=*/0, 0, amqp_empty_table);
  return impl_->Check("consume queue '" + queue + "'");
}

StatusOr<std::optional<Delivery>> AmqpConnection::Next(std::chrono::milliseconds wait) {
  amqp_maybe_release_buffers(impl_->conn);
  amqp_envelope_t envelope;
  timeval tv = TimeVal(wait);
  amqp_rpc_reply_t r = amqp_consume_message(impl_->conn, &envelope, &tv, 0);
  if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) {
    return std::optional<Delivery>();
  }
  if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
      r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
    // Another frame than a delivery: the broker closing the channel (the
    // queue deleted under the consumer) or the connection.
    amqp_frame_t frame;
    if (amqp_simple_wait_frame(impl_->conn, &frame) == AMQP_STATUS_OK &&
        frame.frame_type == AMQP_FRAME_METHOD &&
        (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
         frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD)) {
      amqp_rpc_reply_t closed{};
      closed.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
      closed.reply = frame.payload.method;
      return impl_->FromReply(closed, "consuming");
    }
    return Status(StatusCode::kUnavailable, impl_->where + ": consuming: unexpected frame");
  }
  RETURN_IF_ERROR(impl_->FromReply(r, "consuming"));
  Delivery d;
  d.tag = envelope.delivery_tag;
  d.redelivered = envelope.redelivered != 0;
  d.body = String(envelope.message.body);
  const amqp_basic_properties_t& p = envelope.message.properties;
  if (p._flags & AMQP_BASIC_TYPE_FLAG) d.type = String(p.type);
  if (p._flags & AMQP_BASIC_MESSAGE_ID_FLAG) d.message_id = String(p.message_id);
  amqp_destroy_envelope(&envelope);
  return std::optional<Delivery>(std::move(d));
}

Status AmqpConnection::Ack(uint64_t tag, bool multiple) {
  if (impl_->channel == 0) return Status(StatusCode::kUnavailable, impl_->where + ": no channel");
  int rc = amqp_basic_ack(impl_->conn, impl_->channel, tag, multiple ? 1 : 0);
  if (rc != AMQP_STATUS_OK) {
    return Status(StatusCode::kUnavailable, impl_->where + ": ack: " + amqp_error_string2(rc));
  }
  return Status::Ok();
}

Status AmqpConnection::Requeue(uint64_t tag) {
  if (impl_->channel == 0) return Status(StatusCode::kUnavailable, impl_->where + ": no channel");
  int rc = amqp_basic_reject(impl_->conn, impl_->channel, tag, /*requeue=*/1);
  if (rc != AMQP_STATUS_OK) {
    return Status(StatusCode::kUnavailable, impl_->where + ": reject: " + amqp_error_string2(rc));
  }
  return Status::Ok();
}

}  // namespace gwsync::feed
