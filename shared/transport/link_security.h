#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "shared/base/result.h"
#include "shared/config/cluster_config.h"
#include "shared/transport/curve_keys.h"
#include "shared/transport/zap_authenticator.h"

namespace callmesh::transport {

// What one socket is given before it binds or connects: its frame bound (ZMQ_MAXMSGSIZE: a peer
// sending a larger frame is disconnected by libzmq before the frame reaches us) and, with CURVE,
// its keys. A default SocketSecurity is plain (no CURVE) with the codec's 256 KiB bound.
struct SocketSecurity {
  int64_t max_message_bytes = 256 * 1024;
  bool curve = false;
  std::string public_key;  // this service's, Z85
  std::string secret_key;  // this service's, Z85
  std::string server_key;  // client side: the public key of the service it connects to, Z85

  // ROUTER / PUB sides: CURVE server under the callmesh ZAP domain.
  void applyAsServer(zmq::socket_t& socket) const;
  // DEALER / SUB sides: CURVE client that knows the server's key.
  void applyAsClient(zmq::socket_t& socket) const;
};

// A service's ZeroMQ security from cluster.yaml's `zmq:` section and its key files:
// <keys_dir>/<service>.key (its own keypair) and <keys_dir>/cluster.pub (every service's public
// key). With `curve: off` no file is read and every socket is plain.
class LinkSecurity {
 public:
  static Result<LinkSecurity> load(const config::ZmqSettings& settings, std::string_view service);
  // From keys already in memory (tests, tools).
  static Result<LinkSecurity> fromKeys(std::string_view service, CurveKeyPair own,
                                       std::map<std::string, std::string> public_keys,
                                       int64_t max_message_bytes);
  static LinkSecurity plain(int64_t max_message_bytes);

  bool curve() const { return curve_; }
  SocketSecurity serving() const;
  // For a client socket towards `service`'s sockets.
  SocketSecurity towards(std::string_view service) const;
  // This service's ZAP handler (nullptr without CURVE). Create it before any server socket of
  // `context` binds, and destroy it before the context.
  std::unique_ptr<ZapAuthenticator> startAuthenticator(
      zmq::context_t& context, ZapAuthenticator::DecisionSink on_decision = {}) const;

 private:
  std::string service_;
  bool curve_ = false;
  int64_t max_message_bytes_ = 256 * 1024;
  CurveKeyPair own_;
  std::map<std::string, std::string> public_keys_;
};

}  // namespace callmesh::transport
