#include "shared/transport/request_client.h"

#include <algorithm>

#include <kj/exception.h>

#include "shared/transport/envelope.h"
#include "shared/transport/frames.h"

namespace callmesh::transport {

RequestClient::RequestClient(zmq::context_t& context, const std::vector<std::string>& endpoints,
                             std::string message_type, const Clock& clock,
                             RequestClientOptions options, const SocketSecurity& security)
    : socket_(context, zmq::socket_type::dealer),
      type_(std::move(message_type)),
      clock_(clock),
      options_(options) {
  socket_.set(zmq::sockopt::immediate, 1);
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::reconnect_ivl, 100);
  socket_.set(zmq::sockopt::reconnect_ivl_max, 1000);
  security.applyAsClient(socket_);
  setEndpoints(endpoints);
}

void RequestClient::follow(std::shared_ptr<EndpointWatcher> watcher) {
  watcher_ = std::move(watcher);
  watcher_seen_ = 0;
  std::vector<std::string> now;
  if (watcher_ && watcher_->changedSince(watcher_seen_, now)) setEndpoints(now);
}

void RequestClient::setEndpoints(const std::vector<std::string>& wanted) {
  reconnectTo(socket_, connected_, wanted);
}

int RequestClient::fd() const { return static_cast<int>(socket_.get(zmq::sockopt::fd)); }

uint64_t RequestClient::request(std::vector<uint8_t> payload, ReplyHandler on_reply) {
  uint64_t id = next_id_++;
  requestWithId(id, std::move(payload), std::move(on_reply));
  return id;
}

void RequestClient::requestWithId(uint64_t id, std::vector<uint8_t> payload,
                                  ReplyHandler on_reply) {
  if (id >= next_id_) next_id_ = id + 1;
  if (pending_.size() >= options_.max_pending) {
    ++stats_.dropped_full;
    on_reply(Error{ErrorKind::Overloaded,
                   "too many requests in flight (" + std::to_string(pending_.size()) + ")",
                   "request " + type_});
    return;
  }
  auto [it, inserted] = pending_.emplace(id, Pending{std::move(payload), std::move(on_reply)});
  if (!inserted) {
    return;  // already in flight with that id
  }
  trySend(id, it->second);
}

bool RequestClient::trySend(uint64_t id, Pending& p) {
  p.deadline_ms = clock_.steadyMs() + options_.attempt_timeout_ms;
  // An attempt counts whether or not a peer took it: with no replica connected, the request
  // must still fail after `attempts` deadlines instead of waiting forever.
  ++p.sends;
  if (p.sends > 1) ++stats_.retries;
  zmq::message_t type_frame(type_.data(), type_.size());
  zmq::message_t payload_frame(p.payload.data(), p.payload.size());
  try {
    if (!socket_.send(type_frame, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      p.on_wire = false;  // no connected peer: retried at the next deadline
      return false;
    }
    (void)socket_.send(encodeRequestId(id), zmq::send_flags::sndmore);
    (void)socket_.send(payload_frame, zmq::send_flags::none);
  } catch (const zmq::error_t&) {
    p.on_wire = false;
    return false;
  }
  ++stats_.sent;
  p.on_wire = true;
  sent_since_drain_ = true;
  return true;
}

void RequestClient::cancel(uint64_t id) { pending_.erase(id); }

size_t RequestClient::onReadable() {
  sent_since_drain_ = false;
  size_t handled = 0;
  while (socket_.get(zmq::sockopt::events) & ZMQ_POLLIN) {
    auto frames = receiveFrames(socket_);
    if (frames.empty()) break;
    ++handled;
    uint64_t id = 0;
    if (frames.size() != 3 || !decodeRequestId(frames[1], id)) {
      ++stats_.stale_replies;
      continue;
    }
    auto it = pending_.find(id);
    if (it == pending_.end()) {
      ++stats_.stale_replies;
      continue;
    }
    ++stats_.replies;
    auto handler = std::move(it->second.on_reply);
    pending_.erase(it);
    invoke(handler, std::move(frames[2]));
  }
  return handled;
}

void RequestClient::onTick() {
  std::vector<std::string> resolved;
  if (watcher_ && watcher_->changedSince(watcher_seen_, resolved)) setEndpoints(resolved);
  int64_t now = clock_.steadyMs();
  std::vector<uint64_t> expired;
  for (auto& [id, p] : pending_) {
    if (p.deadline_ms > now) continue;
    bool unlimited = options_.attempts == 0;
    if (unlimited || p.sends < options_.attempts) {
      trySend(id, p);
    } else {
      expired.push_back(id);
    }
  }
  for (uint64_t id : expired) {
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;
    ++stats_.timeouts;
    auto handler = std::move(it->second.on_reply);
    int sends = it->second.sends;
    pending_.erase(it);
    invoke(handler, Error{ErrorKind::Timeout,
                          "no reply after " + std::to_string(sends) + " attempt(s) of " +
                              std::to_string(options_.attempt_timeout_ms) + " ms",
                          "request " + type_});
  }
}

// The dispatch boundary of the owner's event loop (which may be C code, like sofia's su_root):
// nothing a reply contains may unwind through it. A throwing handler is counted and dropped.
void RequestClient::invoke(ReplyHandler& handler, Result<zmq::message_t> reply) {
  try {
    handler(std::move(reply));
  } catch (const kj::Exception&) {
    ++stats_.handler_exceptions;
  } catch (const std::exception&) {
    ++stats_.handler_exceptions;
  }
}

int64_t RequestClient::msUntilNextDeadline() const {
  if (pending_.empty()) return -1;
  int64_t now = clock_.steadyMs();
  int64_t best = INT64_MAX;
  for (const auto& [id, p] : pending_) best = std::min(best, p.deadline_ms - now);
  return std::max<int64_t>(best, 0);
}

}  // namespace callmesh::transport
