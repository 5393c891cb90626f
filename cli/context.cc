#include "cli/context.h"

#include "api/gateway_impl.h"
#include "api/resolve.h"

namespace gwsync::cli {

StatusOr<transfer::TransferOptions> ResolveTransferOptions(const GlobalFlags& flags) {
  return api::ResolveTransferOptions(flags);
}

StatusOr<session::ClusterOptions> ResolveClusterOptions(const GlobalFlags& flags) {
  ASSIGN_OR_RETURN(s3::ClientOptions client, api::ResolveClientOptions(flags, api::Environment));
  WarnInsecure(flags);
  session::ClusterOptions o;
  o.client = std::move(client);
  ASSIGN_OR_RETURN(o.transport, api::ResolveTransportOptions(flags, api::Environment));
  return o;
}

StatusOr<std::unique_ptr<Context>> Context::Create(const GlobalFlags& flags) {
  ASSIGN_OR_RETURN(std::unique_ptr<Gateway> gateway, OpenGateway(flags));
  return std::unique_ptr<Context>(new Context(std::move(gateway)));
}

const s3::Client& Context::client() const { return api::GatewayAccess::Client(*gateway_); }

const transfer::TransferOptions& Context::transfer() const {
  return api::GatewayAccess::Transfer(*gateway_);
}

}  // namespace gwsync::cli
