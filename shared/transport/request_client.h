#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "shared/base/clock.h"
#include "shared/base/result.h"
#include "shared/transport/endpoint_watcher.h"
#include "shared/transport/link_security.h"
#include "shared/transport/request_link.h"

namespace callmesh::transport {

// Counters a RequestClient keeps; the owning service exports them as metrics.
struct RequestClientStats {
  uint64_t sent = 0;
  uint64_t replies = 0;
  uint64_t retries = 0;
  uint64_t timeouts = 0;
  uint64_t stale_replies = 0;       // replies for requests already answered or expired
  uint64_t dropped_full = 0;        // requests refused because max_pending was reached
  uint64_t handler_exceptions = 0;  // a reply handler threw (e.g. a malformed reply): dropped
};

struct RequestClientOptions {
  int attempt_timeout_ms = 300;  // wait this long for a reply before retrying
  int attempts = 3;              // total sends before the request fails with Timeout; 0 = forever
  size_t max_pending = 100000;   // bound on memory; beyond it new requests fail with Overloaded
};

// Non-blocking request/reply over a DEALER socket, for one thread's event loop.
// - Deadlines and retries: a request is re-sent after attempt_timeout_ms, up to `attempts` sends;
//   with several endpoints the DEALER round-robins, so a retry reaches another replica.
// - ZMQ_IMMEDIATE: nothing queues towards a peer that is not connected, so a dead replica does
//   not swallow requests; such sends are retried on the next tick.
// - Replies are matched by the envelope's request id; late replies are counted and dropped.
// - Endpoints may follow an EndpointWatcher (a DNS name standing for every replica): checked on
//   each tick, new replicas are connected and gone ones disconnected; requests in flight to a
//   gone one time out and are retried on the others like any other lost request.
// Thread ownership: every method must be called on the thread that owns the event loop.
class RequestClient final : public RequestLink {
 public:
  using ReplyHandler = RequestLink::ReplyHandler;

  RequestClient(zmq::context_t& context, const std::vector<std::string>& endpoints,
                std::string message_type, const Clock& clock, RequestClientOptions options,
                const SocketSecurity& security);

  // From now on, connects to what `watcher` resolves (replacing the constructor's endpoints).
  void follow(std::shared_ptr<EndpointWatcher> watcher);
  // Connects to every endpoint of `wanted` not connected yet and disconnects the rest.
  void setEndpoints(const std::vector<std::string>& wanted);
  const std::vector<std::string>& endpoints() const { return connected_; }

  // Sends `payload` (a flat capnp message); `on_reply` runs exactly once: with the reply payload,
  // or with Timeout / Overloaded. Returns the request id. The payload is kept for retries.
  uint64_t request(std::vector<uint8_t> payload, ReplyHandler on_reply) override;
  // Like request() with a caller-chosen id (event sequence numbers).
  void requestWithId(uint64_t id, std::vector<uint8_t> payload, ReplyHandler on_reply) override;
  // Drops a pending request without calling its handler (the call it served went away).
  void cancel(uint64_t id) override;

  // Drains every readable reply (ZMQ_FD is edge-triggered: call until it returns 0).
  size_t onReadable() override;
  // True when a send happened since the last drain: a send may consume ZMQ_FD's edge, so the
  // owner must drain this socket once more (libzmq's contract) even without an FD wakeup.
  bool needsDrain() const override { return sent_since_drain_; }
  // Retries or expires requests whose attempt deadline passed.
  void onTick() override;
  // Milliseconds until the earliest attempt deadline (-1 when nothing is pending).
  int64_t msUntilNextDeadline() const;

  zmq::socket_t& socket() { return socket_; }
  int fd() const override;
  size_t pending() const override { return pending_.size(); }
  const RequestClientStats& stats() const { return stats_; }
  const std::string& messageType() const { return type_; }

 private:
  struct Pending {
    std::vector<uint8_t> payload;
    ReplyHandler on_reply;
    int64_t deadline_ms = 0;
    int sends = 0;
    bool on_wire = false;
  };

  bool trySend(uint64_t id, Pending& p);
  void invoke(ReplyHandler& handler, Result<zmq::message_t> reply);

  zmq::socket_t socket_;
  std::string type_;
  const Clock& clock_;
  RequestClientOptions options_;
  std::map<uint64_t, Pending> pending_;
  uint64_t next_id_ = 1;
  bool sent_since_drain_ = false;
  RequestClientStats stats_;
  std::vector<std::string> connected_;
  std::shared_ptr<EndpointWatcher> watcher_;
  uint64_t watcher_seen_ = 0;
};

}  // namespace callmesh::transport
