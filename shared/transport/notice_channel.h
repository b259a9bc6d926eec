#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <kj/common.h>
#include <zmq.hpp>

#include "shared/transport/endpoint_watcher.h"
#include "shared/transport/link_security.h"

namespace callmesh::transport {

// One-way broadcast of a small "current state" message, such as the router's config epoch: a PUB
// socket on the sending side, SUB sockets that keep only the newest message on the receiving side.
// Nothing here is reliable (a subscriber that connects late misses what went before, and a slow
// one loses all but the last), so senders repeat the current state periodically and receivers
// treat a silence as "state unknown".
class NoticePublisher {
 public:
  NoticePublisher(zmq::context_t& context, const std::string& bind_endpoint,
                  const SocketSecurity& security);
  // Never blocks: a subscriber that cannot keep up is skipped.
  void publish(kj::ArrayPtr<const kj::byte> bytes);
  // The endpoint actually bound (resolves tcp://127.0.0.1:0 to the chosen port).
  std::string boundEndpoint() const;

 private:
  zmq::socket_t socket_;
};

// The receiving side as its users see it (the real one below; a fake in shared/testing).
class NoticeSource {
 public:
  virtual ~NoticeSource() = default;
  // The newest notice that arrived since the last call, if any. Never blocks.
  virtual std::optional<zmq::message_t> latest() = 0;
};

class NoticeSubscriber final : public NoticeSource {
 public:
  // Subscribes to every publisher `endpoints` resolves to (one per router replica), following it.
  NoticeSubscriber(zmq::context_t& context, std::shared_ptr<EndpointWatcher> endpoints,
                   const SocketSecurity& security);
  std::optional<zmq::message_t> latest() override;

 private:
  void followEndpoints();

  zmq::socket_t socket_;
  std::shared_ptr<EndpointWatcher> watcher_;
  uint64_t watcher_seen_ = 0;
  std::vector<std::string> connected_;
};

}  // namespace callmesh::transport
