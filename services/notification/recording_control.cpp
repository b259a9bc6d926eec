#include "services/notification/recording_control.h"

#include <algorithm>
#include <chrono>

#include <capnp/message.h>

#include "shared/codec/capnp_codec.h"
#include "shared/transport/envelope.h"
#include "shared/transport/frames.h"

namespace callmesh::notification {

ZmqRecordingControl::ZmqRecordingControl(zmq::context_t& context,
                                         std::shared_ptr<transport::EndpointWatcher> endpoints,
                                         transport::SocketSecurity security, int timeout_ms)
    : context_(context),
      security_(std::move(security)),
      timeout_ms_(timeout_ms),
      watcher_(std::move(endpoints)) {
  std::lock_guard<std::mutex> lock(mutex_);
  followEndpoints();
}

void ZmqRecordingControl::followEndpoints() {
  std::vector<std::string> wanted;
  if (!watcher_ || !watcher_->changedSince(watcher_seen_, wanted)) return;
  if (wanted.size() > kMaxIngressEndpoints) wanted.resize(kMaxIngressEndpoints);
  for (auto it = sockets_.begin(); it != sockets_.end();) {
    bool keep = std::find(wanted.begin(), wanted.end(), it->first) != wanted.end();
    it = keep ? std::next(it) : sockets_.erase(it);
  }
  for (const auto& endpoint : wanted) {
    if (sockets_.count(endpoint)) continue;
    zmq::socket_t s(context_, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::immediate, 1);  // nothing queues towards a replica not connected
    security_.applyAsClient(s);
    try {
      s.connect(endpoint);
    } catch (const zmq::error_t&) {
      continue;  // a malformed endpoint: the config check names it; this replica is skipped
    }
    sockets_.emplace(endpoint, std::move(s));
  }
}

void ZmqRecordingControl::refreshEndpoints() {
  std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
  if (lock.owns_lock()) followEndpoints();
}

std::vector<std::string> ZmqRecordingControl::endpoints() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [endpoint, _] : sockets_) out.push_back(endpoint);
  return out;
}

Result<RecordingResult> ZmqRecordingControl::setRecording(const std::string& call_id, bool start,
                                                          const std::string& requested_by) {
  codec::FrameBuilder mb;
  auto cmd = mb.initRoot<schema::RecordingCommand>();
  cmd.setCallId(call_id);
  cmd.setAction(start ? schema::RecordingAction::START : schema::RecordingAction::STOP);
  cmd.setRequestedBy(requested_by);
  std::vector<uint8_t> payload = codec::encodeToBytes(mb);

  std::lock_guard<std::mutex> lock(mutex_);
  followEndpoints();
  if (sockets_.empty()) {
    return Error{ErrorKind::Disconnected, "no ingress endpoint to send it to", "recording control"};
  }
  uint64_t id = next_id_++;
  std::vector<zmq::socket_t*> sockets;
  for (auto& [_, s] : sockets_) sockets.push_back(&s);
  std::vector<bool> sent(sockets.size(), false), answered(sockets.size(), false);
  size_t unknown = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
  while (std::chrono::steady_clock::now() < deadline) {
    // A replica still connecting (ZMQ_IMMEDIATE refuses the send) is tried again each round.
    for (size_t i = 0; i < sockets.size(); ++i) {
      if (sent[i]) continue;
      zmq::message_t type(transport::message_type::kRecording.data(),
                          transport::message_type::kRecording.size());
      if (!sockets[i]->send(type, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) continue;
      (void)sockets[i]->send(transport::encodeRequestId(id), zmq::send_flags::sndmore);
      (void)sockets[i]->send(zmq::message_t(payload.data(), payload.size()), zmq::send_flags::none);
      sent[i] = true;
    }
    std::vector<zmq::pollitem_t> items;
    items.reserve(sockets.size());
    for (auto* s : sockets) items.push_back({s->handle(), 0, ZMQ_POLLIN, 0});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto slice = std::clamp(left, std::chrono::milliseconds(1), std::chrono::milliseconds(20));
    if (zmq::poll(items.data(), items.size(), slice) <= 0) continue;
    for (size_t i = 0; i < sockets.size(); ++i) {
      if (!(items[i].revents & ZMQ_POLLIN)) continue;
      for (int n = 0; n < 8; ++n) {  // bounded: late replies to earlier commands are dropped
        auto frames = transport::receiveFrames(*sockets[i]);
        if (frames.empty()) break;
        uint64_t got = 0;
        if (frames.size() != 3 || !transport::decodeRequestId(frames[1], got) || got != id) {
          continue;
        }
        auto decoded = codec::decode<schema::RecordingReply>(frames[2].data(), frames[2].size(),
                                                             "RecordingReply");
        if (!decoded.ok()) return decoded.error();
        auto r = decoded.value()->root();
        if (r.getOutcome() == schema::RecordingOutcome::UNKNOWN_CALL) {
          if (!answered[i]) ++unknown;
          answered[i] = true;
          continue;
        }
        RecordingResult out;
        out.outcome = r.getOutcome();
        out.recording = r.getRecording();
        out.segments = r.getSegments();
        out.detail = std::string(r.getDetail()).substr(0, 256);
        return out;
      }
    }
    if (unknown == sockets.size()) return RecordingResult{};  // every replica: no such call
  }
  return Error{ErrorKind::Timeout,
               std::to_string(sockets.size() - unknown) + " of " + std::to_string(sockets.size()) +
                   " ingress replicas did not answer",
               "recording control"};
}

}  // namespace callmesh::notification
