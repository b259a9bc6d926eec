#include "shared/transport/link_security.h"

#include <fstream>
#include <sstream>

namespace callmesh::transport {

namespace {

// The ZAP domain of every callmesh server socket (ZMQ_ZAP_DOMAIN): names this cluster's
// handshakes in libzmq's requests.
constexpr const char* kZapDomain = "callmesh";

Result<std::string> readKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{ErrorKind::NotFound,
                 "cannot read it: write the cluster's keys with callmesh-zmq-keys DIR, or set "
                 "zmq.curve: off for a one-host lab",
                 path};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

void SocketSecurity::applyAsServer(zmq::socket_t& socket) const {
  socket.set(zmq::sockopt::maxmsgsize, max_message_bytes);
  if (!curve) return;
  socket.set(zmq::sockopt::zap_domain, kZapDomain);
  socket.set(zmq::sockopt::curve_server, 1);
  socket.set(zmq::sockopt::curve_secretkey, secret_key);
}

void SocketSecurity::applyAsClient(zmq::socket_t& socket) const {
  socket.set(zmq::sockopt::maxmsgsize, max_message_bytes);
  if (!curve) return;
  socket.set(zmq::sockopt::curve_serverkey, server_key);
  socket.set(zmq::sockopt::curve_publickey, public_key);
  socket.set(zmq::sockopt::curve_secretkey, secret_key);
}

Result<LinkSecurity> LinkSecurity::load(const config::ZmqSettings& settings,
                                        std::string_view service) {
  if (!settings.curve) return plain(settings.max_message_bytes);
  std::string own_path = settings.keys_dir + "/" + std::string(service) + ".key";
  auto own_text = readKeyFile(own_path);
  if (!own_text.ok()) return own_text.error();
  auto own = parseKeyPair(own_text.value(), own_path);
  if (!own.ok()) return own.error();
  std::string pub_path = settings.keys_dir + "/cluster.pub";
  auto pub_text = readKeyFile(pub_path);
  if (!pub_text.ok()) return pub_text.error();
  auto keys = parsePublicKeys(pub_text.value(), pub_path);
  if (!keys.ok()) return keys.error();
  return fromKeys(service, own.value(), keys.value(), settings.max_message_bytes);
}

Result<LinkSecurity> LinkSecurity::fromKeys(std::string_view service, CurveKeyPair own,
                                            std::map<std::string, std::string> public_keys,
                                            int64_t max_message_bytes) {
  // A keypair that is not the one cluster.pub names for this service would be refused by every
  // server: say so at startup instead of as silent timeouts.
  auto listed = public_keys.find(std::string(service));
  if (listed == public_keys.end()) {
    return invalidInput("cluster.pub has no key for " + std::string(service));
  }
  if (listed->second != own.public_key) {
    return invalidInput("the public key of " + std::string(service) +
                        ".key is not the one cluster.pub lists for it");
  }
  for (auto name : kServiceNames) {
    if (!public_keys.count(std::string(name))) {
      return invalidInput("cluster.pub has no key for " + std::string(name));
    }
  }
  LinkSecurity s;
  s.service_ = service;
  s.curve_ = true;
  s.max_message_bytes_ = max_message_bytes;
  s.own_ = std::move(own);
  s.public_keys_ = std::move(public_keys);
  return s;
}

LinkSecurity LinkSecurity::plain(int64_t max_message_bytes) {
  LinkSecurity s;
  s.max_message_bytes_ = max_message_bytes;
  return s;
}

SocketSecurity LinkSecurity::serving() const {
  SocketSecurity s;
  s.max_message_bytes = max_message_bytes_;
  s.curve = curve_;
  s.public_key = own_.public_key;
  s.secret_key = own_.secret_key;
  return s;
}

SocketSecurity LinkSecurity::towards(std::string_view service) const {
  SocketSecurity s = serving();
  if (curve_) {
    auto it = public_keys_.find(std::string(service));
    // fromKeys checked that every service has a key; an unknown name is a programming error and
    // leaves the key empty, which libzmq refuses at once.
    if (it != public_keys_.end()) s.server_key = it->second;
  }
  return s;
}

std::unique_ptr<ZapAuthenticator> LinkSecurity::startAuthenticator(
    zmq::context_t& context, ZapAuthenticator::DecisionSink on_decision) const {
  if (!curve_) return nullptr;
  auto allowed = ClientAllowList::forServer(service_, public_keys_);
  // fromKeys checked every service has a key, so the list always builds; an empty list (a
  // service that serves nobody) refuses everyone, which is right.
  return std::make_unique<ZapAuthenticator>(
      context, allowed.ok() ? std::move(allowed.value()) : ClientAllowList{},
      std::move(on_decision));
}

}  // namespace callmesh::transport
