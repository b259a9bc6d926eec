#include "shared/transport/zap_policy.h"

#include <zmq.h>

namespace callmesh::transport {

std::vector<std::string> clientsOf(std::string_view server_service) {
  // The links of docs/operations.md: the ingress asks router, limiter, presence and notification;
  // the notification API sets and reads presence, and stops and starts a call's recording on the
  // ingress that holds it (ingress.control_bind, issue 19).
  if (server_service == "router") return {"ingress"};
  if (server_service == "concurrency-limiter") return {"ingress"};
  if (server_service == "agent-presence") return {"ingress", "notification"};
  if (server_service == "notification") return {"ingress"};
  if (server_service == "ingress") return {"notification"};
  return {};
}

Result<ClientAllowList> ClientAllowList::forServer(
    std::string_view server_service, const std::map<std::string, std::string>& public_keys) {
  ClientAllowList list;
  for (const auto& client : clientsOf(server_service)) {
    auto it = public_keys.find(client);
    if (it == public_keys.end()) {
      return invalidInput(
          "no public key for " + client + ", a client of " + std::string(server_service),
          "cluster.pub");
    }
    std::string binary(32, '\0');
    if (it->second.size() != 40 ||
        zmq_z85_decode(reinterpret_cast<uint8_t*>(binary.data()), it->second.c_str()) == nullptr) {
      return invalidInput("the key of " + client + " is not Z85", "cluster.pub");
    }
    list.services_[binary] = client;
  }
  return list;
}

std::string ClientAllowList::serviceOf(std::string_view binary_key) const {
  auto it = services_.find(binary_key);
  return it == services_.end() ? std::string() : it->second;
}

Result<ZapRequest> parseZapRequest(const std::vector<std::string>& frames) {
  // version, request id, domain, address, identity, mechanism, then the mechanism's credentials.
  if (frames.size() < 6) {
    return invalidInput("a ZAP request has at least 6 frames, got " +
                        std::to_string(frames.size()));
  }
  ZapRequest r{frames[0], frames[1], frames[2], frames[3], frames[4], frames[5], {}};
  if (r.version != "1.0") return invalidInput("ZAP version '" + r.version + "' is not 1.0");
  r.credentials.assign(frames.begin() + 6, frames.end());
  return r;
}

ZapReply decideZap(const std::vector<std::string>& frames, const ClientAllowList& allowed) {
  ZapReply reply;
  auto request = parseZapRequest(frames);
  if (!request.ok()) {
    if (frames.size() > 1) reply.request_id = frames[1];
    reply.status_code = "500";
    reply.status_text = request.error().message;
    return reply;
  }
  reply.request_id = request->request_id;
  if (request->mechanism != "CURVE") {
    reply.status_code = "400";
    reply.status_text = "mechanism " + request->mechanism + " refused: CURVE only";
    return reply;
  }
  if (request->credentials.size() != 1 || request->credentials[0].size() != 32) {
    reply.status_code = "400";
    reply.status_text = "CURVE credentials must be one 32-byte key";
    return reply;
  }
  std::string service = allowed.serviceOf(request->credentials[0]);
  if (service.empty()) {
    reply.status_code = "400";
    reply.status_text = "client key not in the cluster's allow-list";
    return reply;
  }
  reply.status_code = "200";
  reply.status_text = "OK";
  reply.user_id = service;
  return reply;
}

}  // namespace callmesh::transport
