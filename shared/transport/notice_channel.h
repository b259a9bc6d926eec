#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <kj/common.h>
#include <zmq.hpp>

namespace callmesh::transport {

// One-way broadcast of a small "current state" message, such as the router's config epoch: a PUB
// socket on the sending side, SUB sockets that keep only the newest message on the receiving side.
// Nothing here is reliable (a subscriber that connects late misses what went before, and a slow
// one loses all but the last), so senders repeat the current state periodically and receivers
// treat a silence as "state unknown".
class NoticePublisher {
 public:
  NoticePublisher(zmq::context_t& context, const std::string& bind_endpoint);
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
  NoticeSubscriber(zmq::context_t& context, const std::string& endpoint);
  std::optional<zmq::message_t> latest() override;

 private:
  zmq::socket_t socket_;
};

}  // namespace callmesh::transport
