#pragma once

#include <map>
#include <string>
#include <string_view>

#include "shared/base/result.h"

namespace callmesh::transport {

// A CURVE keypair as ZeroMQ writes it: Z85 text, 40 characters each (32 bytes).
struct CurveKeyPair {
  std::string public_key;
  std::string secret_key;
};

// The services of a cluster, by the names their key files carry (<name>.key, cluster.pub).
inline constexpr std::string_view kServiceNames[] = {"ingress", "router", "concurrency-limiter",
                                                     "agent-presence", "notification"};

// True for 40 characters of Z85 that decode to a 32-byte key.
bool isZ85Key(std::string_view text);

// A service's own key file (a Kubernetes Secret):
//   # comment lines
//   public <z85>
//   secret <z85>
// `where` names the file in errors.
Result<CurveKeyPair> parseKeyPair(std::string_view text, std::string_view where);
std::string formatKeyPair(const CurveKeyPair& keys, std::string_view service);

// cluster.pub: one `<service> <z85 public key>` per line, comments allowed; at most 64 lines of
// keys. Every name must be one of kServiceNames, each once.
Result<std::map<std::string, std::string>> parsePublicKeys(std::string_view text,
                                                           std::string_view where);
std::string formatPublicKeys(const std::map<std::string, std::string>& keys);

// A fresh keypair from libzmq (zmq_curve_keypair); an error when libzmq was built without CURVE.
Result<CurveKeyPair> generateKeyPair();

}  // namespace callmesh::transport
