#include "shared/transport/zap_authenticator.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

namespace callmesh::transport {

ZapAuthenticator::ZapAuthenticator(zmq::context_t& context, ClientAllowList allowed,
                                   DecisionSink on_decision)
    : socket_(context, zmq::socket_type::rep),
      allowed_(std::move(allowed)),
      on_decision_(std::move(on_decision)) {
  socket_.set(zmq::sockopt::linger, 0);
  // Bound here, before the constructor returns, so no server socket can accept a handshake
  // that nobody checks.
  socket_.bind("inproc://zeromq.zap.01");
  // The thread sleeps until a handshake or the destructor comes: polling a stop flag every 100 ms
  // woke each service ten times a second for nothing (tools/bench/idle_cluster.py). Without an
  // eventfd (none left), it falls back to that poll.
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { run(); });
}

ZapAuthenticator::~ZapAuthenticator() {
  stop_ = true;
  if (stop_fd_ >= 0) {
    uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof one);
  }
  thread_.join();
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void ZapAuthenticator::run() {
  while (!stop_) {
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0},
                               {nullptr, stop_fd_, ZMQ_POLLIN, 0}};
    try {
      int waiting = stop_fd_ >= 0 ? zmq::poll(items, 2, std::chrono::milliseconds(-1))
                                  : zmq::poll(items, 1, std::chrono::milliseconds(100));
      if (waiting <= 0 || !(items[0].revents & ZMQ_POLLIN)) continue;
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
