#include "shared/transport/zap_authenticator.h"

#include <chrono>
#include <string>
#include <vector>

namespace callmesh::transport {

namespace {
// How often the thread looks at its stop flag while no handshake is waiting.
constexpr std::chrono::milliseconds kStopPoll{100};
}  // namespace

ZapAuthenticator::ZapAuthenticator(zmq::context_t& context, ClientAllowList allowed,
                                   DecisionSink on_decision)
    : socket_(context, zmq::socket_type::rep),
      allowed_(std::move(allowed)),
      on_decision_(std::move(on_decision)) {
  socket_.set(zmq::sockopt::linger, 0);
  // Bound here, before the constructor returns, so no server socket can accept a handshake
  // that nobody checks.
  socket_.bind("inproc://zeromq.zap.01");
  thread_ = std::thread([this] { run(); });
}

ZapAuthenticator::~ZapAuthenticator() {
  stop_ = true;
  thread_.join();
}

void ZapAuthenticator::run() {
  while (!stop_) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    try {
      if (zmq::poll(&item, 1, kStopPoll) <= 0) continue;
      std::vector<std::string> frames;
      while (true) {
        zmq::message_t m;
        if (!socket_.recv(m, zmq::recv_flags::dontwait)) break;
        frames.emplace_back(static_cast<const char*>(m.data()), m.size());
        // A request has 7 frames for CURVE; anything far longer is not libzmq's.
        if (!m.more() || frames.size() > 16) break;
      }
      if (frames.empty()) continue;
      ZapReply reply = decideZap(frames, allowed_);
      bool ok = reply.status_code == "200";
      (ok ? accepted_ : refused_).fetch_add(1);
      if (on_decision_) on_decision_(ok, ok ? reply.user_id : reply.status_text);
      (void)socket_.send(zmq::buffer(reply.version), zmq::send_flags::sndmore);
      (void)socket_.send(zmq::buffer(reply.request_id), zmq::send_flags::sndmore);
      (void)socket_.send(zmq::buffer(reply.status_code), zmq::send_flags::sndmore);
      (void)socket_.send(zmq::buffer(reply.status_text), zmq::send_flags::sndmore);
      (void)socket_.send(zmq::buffer(reply.user_id), zmq::send_flags::sndmore);
      (void)socket_.send(zmq::message_t(), zmq::send_flags::none);  // no metadata
    } catch (const zmq::error_t&) {
      return;  // the context is terminating
    }
  }
}

}  // namespace callmesh::transport
