// gwsync::ExamineGateway (gwsync/doctor.h): the gateway's settings resolved as for
// every command, then doctor::Examine on a transport of its own.
#include "doctor/doctor.h"

#include "api/resolve.h"
#include "gwsync/units.h"

namespace gwsync {

StatusOr<DoctorReport> ExamineGateway(const GatewayOptions& gateway, const DoctorRequest& request) {
  // The gateway named here, or the one every other command takes.
  GatewayOptions one = gateway;
  if (!request.endpoint.empty()) one.endpoints = {request.endpoint};
  ASSIGN_OR_RETURN(uint64_t max_body, ParseSize(request.max_body));
  ASSIGN_OR_RETURN(session::ClusterOptions cluster,
                   api::ResolveClusterOptions(one, api::Environment));
  ASSIGN_OR_RETURN(uint64_t part_size, ParseSize(one.part_size));
  // Each answer is a measurement: few retries, and none of a throttled one
  // for half a minute.
  cluster.client.pool.max_attempts = 2;
  cluster.client.pool.max_throttled_attempts = 2;
  ASSIGN_OR_RETURN(auto transport, http::CurlTransport::Create(cluster.transport));

  doctor::Options options;
  options.client = cluster.client;
  options.max_body = max_body;
  options.part_size = part_size;
  options.on_finding = request.on_finding;
  if (request.on_start) request.on_start(cluster.client.endpoint.BaseUrl());
  return doctor::Examine(transport.get(), options);
}

}  // namespace gwsync
