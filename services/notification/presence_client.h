#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "shared/base/result.h"
#include "shared/transport/endpoint_watcher.h"
#include "shared/transport/link_security.h"

namespace callmesh::notification {

// What the API shows of an agent's presence (docs/redis-keys.md `cm:agent:{<id>}`).
struct AgentPresenceView {
  std::string agent_id;
  std::string availability = "available";  // available | away | offline | dnd
  int64_t on_call = 0;
  int64_t ringing = 0;
  int64_t changed_at_ms = 0;
  int64_t idle_since_ms = 0;
  bool in_working_hours = true;
};

// Agent-presence as the API needs it: agents set their availability through the presence
// service (the only writer of `cm:agent:{<id>}`).
class PresenceDirectory {
 public:
  virtual ~PresenceDirectory() = default;
  virtual Result<AgentPresenceView> setAvailability(const std::string& agent_id,
                                                    const std::string& availability) = 0;
  virtual Result<std::vector<AgentPresenceView>> query(const std::vector<std::string>& ids) = 0;
};

// Blocking request/reply to agent-presence ("presence" message type, schemas/presence.capnp)
// over one DEALER socket, for the API's worker threads: one request at a time under a mutex,
// one attempt per endpoint round up to `attempts`, each waiting `timeout_ms`. Replies for other
// request ids (late replies to an expired attempt) are dropped.
class ZmqPresenceClient final : public PresenceDirectory {
 public:
  // Connects to every replica `endpoints` resolves to, following it as replicas come and go.
  ZmqPresenceClient(zmq::context_t& context, std::shared_ptr<transport::EndpointWatcher> endpoints,
                    const transport::SocketSecurity& security, int timeout_ms, int attempts = 2);

  Result<AgentPresenceView> setAvailability(const std::string& agent_id,
                                            const std::string& availability) override;
  // Follows the endpoints' latest resolution between requests (the service calls it every
  // zmq.resolve_interval_ms), so connections to new replicas are up before an API request needs
  // them and gone ones are dropped. Never waits: while a request holds the socket it does
  // nothing (that request followed them itself).
  void refreshEndpoints();
  // The endpoints the socket is connected to now.
  std::vector<std::string> endpoints();
  Result<std::vector<AgentPresenceView>> query(const std::vector<std::string>& ids) override;

 private:
  Result<std::vector<AgentPresenceView>> roundTrip(std::vector<uint8_t> payload);
  void followEndpoints();  // under mutex_

  std::mutex mutex_;
  zmq::socket_t socket_;
  int timeout_ms_;
  int attempts_;
  uint64_t next_id_ = 1;
  std::shared_ptr<transport::EndpointWatcher> watcher_;
  uint64_t watcher_seen_ = 0;
  std::vector<std::string> connected_;
};

}  // namespace callmesh::notification
