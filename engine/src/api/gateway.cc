// gwsync::Gateway (gwsync/gateway.h): GatewayOptions resolved (api/resolve.h)
// into a transport and the client on it.
#include "api/gateway_impl.h"
#include "api/resolve.h"
#include "session/session.h"

namespace gwsync {

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StatusOr<std::unique_ptr<Gateway>> Gateway::Open(const GatewayOptions& options) {
  return api::GatewayAccess::Open(options, nullptr);
}

StatusOr<std::unique_ptr<Gateway>> api::GatewayAccess::Open(const GatewayOptions& options,
                                                            const Adjust& adjust) {
  auto impl = std::make_unique<Gateway::Impl>();
  ASSIGN_OR_RETURN(s3::ClientOptions client, api::ResolveClientOptions(options, api::Environment));
  ASSIGN_OR_RETURN(impl->transfer, api::ResolveTransferOptions(options));
  ASSIGN_OR_RETURN(http::TransportOptions transport,
                   api::ResolveTransportOptions(options, api::Environment));
  if (adjust) adjust(&client, &transport);
  ASSIGN_OR_RETURN(impl->transport, http::CurlTransport::Create(transport));
  impl->client = std::make_unique<s3::Client>(impl->transport.get(), std::move(client));
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Gateway::~Gateway() {
  // A request still in flight (an upload's abort) completes into the client.
  if (impl_->transport) impl_->transport->Shutdown(session::kShutdownGrace);
}

std::vector<std::string> Gateway::endpoints() const {
  const s3::ClientOptions& o = impl_->client->options();
  std::vector<std::string> out{o.endpoint.BaseUrl()};
  for (const auto& e : o.more_endpoints) out.push_back(e.BaseUrl());
  return out;
}

}  // namespace gwsync
