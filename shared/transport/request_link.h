#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include <zmq.hpp>

#include "shared/base/result.h"

namespace callmesh::transport {

// A request/reply link to one peer service, as the code that uses it sees it: RequestClient is
// the real one (ZeroMQ DEALER, deadlines, retries); shared/testing/fake_request_link.h lets a unit
// test answer by hand, without sockets. Every method runs on the owning event loop's thread.
class RequestLink {
 public:
  using ReplyHandler = std::function<void(Result<zmq::message_t>)>;

  virtual ~RequestLink() = default;

  // Sends `payload`; `on_reply` runs exactly once, with the reply or an error. Returns its id.
  virtual uint64_t request(std::vector<uint8_t> payload, ReplyHandler on_reply) = 0;
  // Like request() with a caller-chosen id (event sequence numbers).
  virtual void requestWithId(uint64_t id, std::vector<uint8_t> payload, ReplyHandler on_reply) = 0;
  // Drops a pending request without calling its handler.
  virtual void cancel(uint64_t id) = 0;
  virtual size_t pending() const = 0;

  // Event-loop plumbing: the FD to watch (-1: none), draining it, and the periodic tick.
  virtual int fd() const = 0;
  virtual size_t onReadable() = 0;
  virtual bool needsDrain() const = 0;
  virtual void onTick() = 0;
};

}  // namespace callmesh::transport
