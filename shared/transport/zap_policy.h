#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/result.h"

namespace callmesh::transport {

// Which services may connect to each server: the callers of its message types, and nobody
// else (a router never asks the limiter, so the router's key is refused there). An unknown
// server name has no clients.
std::vector<std::string> clientsOf(std::string_view server_service);

// The client keys one server accepts (32-byte binary CURVE public keys), each with the service
// it belongs to. Built from cluster.pub; pure, so the decision is unit-tested without sockets.
class ClientAllowList {
 public:
  // `public_keys`: service -> Z85 key (cluster.pub). A client service of `server_service` that
  // has no key there is an error: the cluster could never reach this server.
  static Result<ClientAllowList> forServer(std::string_view server_service,
                                           const std::map<std::string, std::string>& public_keys);
  // The service whose binary key this is, or empty when the key is not allowed.
  std::string serviceOf(std::string_view binary_key) const;
  size_t size() const { return services_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> services_;  // binary key -> service
};

// One ZAP request (RFC 27/ZAP) as libzmq sends it to inproc://zeromq.zap.01.
struct ZapRequest {
  std::string version;
  std::string request_id;
  std::string domain;
  std::string address;
  std::string identity;
  std::string mechanism;
  std::vector<std::string> credentials;
};

struct ZapReply {
  std::string version = "1.0";
  std::string request_id;
  std::string status_code;  // "200" accepted, "400" refused, "500" malformed request
  std::string status_text;
  std::string user_id;  // the accepted client's service name
};

// Frames of a request, in order; an error names what is wrong with them.
Result<ZapRequest> parseZapRequest(const std::vector<std::string>& frames);

// Accepts a CURVE client whose key is on the list; refuses every other mechanism and key. A
// request that does not parse is answered 500 (with its id when it has one).
ZapReply decideZap(const std::vector<std::string>& frames, const ClientAllowList& allowed);

}  // namespace callmesh::transport
