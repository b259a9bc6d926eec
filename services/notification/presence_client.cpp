#include "services/notification/presence_client.h"

#include <capnp/message.h>

#include "schemas/presence.capnp.h"
#include "shared/codec/availability_names.h"
#include "shared/codec/capnp_codec.h"
#include "shared/transport/envelope.h"
#include "shared/transport/frames.h"

namespace callmesh::notification {

ZmqPresenceClient::ZmqPresenceClient(zmq::context_t& context,
                                     std::shared_ptr<transport::EndpointWatcher> endpoints,
                                     const transport::SocketSecurity& security, int timeout_ms,
                                     int attempts)
    : socket_(context, zmq::socket_type::dealer),
      timeout_ms_(timeout_ms),
      attempts_(attempts),
      watcher_(std::move(endpoints)) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::immediate, 1);
  security.applyAsClient(socket_);
  std::lock_guard<std::mutex> lock(mutex_);
  followEndpoints();
}

void ZmqPresenceClient::followEndpoints() {
  std::vector<std::string> wanted;
  if (!watcher_ || !watcher_->changedSince(watcher_seen_, wanted)) return;
  transport::reconnectTo(socket_, connected_, wanted);
}

void ZmqPresenceClient::refreshEndpoints() {
  std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
  if (lock.owns_lock()) followEndpoints();
}

std::vector<std::string> ZmqPresenceClient::endpoints() {
  std::lock_guard<std::mutex> lock(mutex_);
  return connected_;
}

Result<std::vector<AgentPresenceView>> ZmqPresenceClient::roundTrip(std::vector<uint8_t> payload) {
  std::lock_guard<std::mutex> lock(mutex_);
  followEndpoints();
  for (int attempt = 0; attempt < attempts_; ++attempt) {
    uint64_t id = next_id_++;
    zmq::message_t type(transport::message_type::kPresence.data(),
                        transport::message_type::kPresence.size());
    if (!socket_.send(type, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLOUT, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms_));
      continue;
    }
    (void)socket_.send(transport::encodeRequestId(id), zmq::send_flags::sndmore);
    (void)socket_.send(zmq::message_t(payload.data(), payload.size()), zmq::send_flags::none);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::max(left, std::chrono::milliseconds(1))) <= 0) continue;
      auto frames = transport::receiveFrames(socket_);
      uint64_t got = 0;
      if (frames.size() != 3 || !transport::decodeRequestId(frames[1], got) || got != id) {
        continue;  // a late reply to an earlier attempt
      }
      auto decoded =
          codec::decode<schema::PresenceReply>(frames[2].data(), frames[2].size(), "PresenceReply");
      if (!decoded.ok()) return decoded.error();
      auto reply = decoded.value()->root();
      if (reply.getError().size() > 0) {
        return Error{ErrorKind::Overloaded, std::string(reply.getError()), "agent-presence"};
      }
      std::vector<AgentPresenceView> out;
      for (auto s : reply.getAgents()) {
        AgentPresenceView v;
        v.agent_id = s.getAgentId();
        v.availability = codec::availabilityName(s.getAvailability());
        v.on_call = s.getOnCall();
        v.ringing = s.getRinging();
        v.changed_at_ms = s.getChangedAtMs();
        v.idle_since_ms = s.getIdleSinceMs();
        v.in_working_hours = s.getInWorkingHours();
        out.push_back(std::move(v));
      }
      return out;
    }
  }
  return Error{ErrorKind::Timeout, "agent-presence did not answer", "presence request"};
}

Result<AgentPresenceView> ZmqPresenceClient::setAvailability(const std::string& agent_id,
                                                             const std::string& availability) {
  codec::FrameBuilder mb;
  auto u = mb.initRoot<schema::PresenceRequest>().initUpdate();
  u.setAgentId(agent_id);
  u.setAvailability(codec::availabilityFromName(availability));
  auto r = roundTrip(codec::encodeToBytes(mb));
  if (!r.ok()) return r.error();
  if (r->empty()) return Error{ErrorKind::Internal, "empty presence reply", agent_id};
  return r->front();
}

Result<std::vector<AgentPresenceView>> ZmqPresenceClient::query(
    const std::vector<std::string>& ids) {
  codec::FrameBuilder mb;
  auto q = mb.initRoot<schema::PresenceRequest>().initQuery(static_cast<unsigned>(ids.size()));
  for (size_t i = 0; i < ids.size(); ++i) q.set(static_cast<unsigned>(i), ids[i]);
  return roundTrip(codec::encodeToBytes(mb));
}

}  // namespace callmesh::notification
