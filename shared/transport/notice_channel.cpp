#include "shared/transport/notice_channel.h"

namespace callmesh::transport {

NoticePublisher::NoticePublisher(zmq::context_t& context, const std::string& bind_endpoint,
                                 const SocketSecurity& security)
    : socket_(context, zmq::socket_type::pub) {
  security.applyAsServer(socket_);
  socket_.set(zmq::sockopt::linger, 0);
  // Each notice replaces the one before it, so a backlog is worth nothing.
  socket_.set(zmq::sockopt::sndhwm, 16);
  socket_.bind(bind_endpoint);
}

void NoticePublisher::publish(kj::ArrayPtr<const kj::byte> bytes) {
  (void)socket_.send(zmq::message_t(bytes.begin(), bytes.size()), zmq::send_flags::dontwait);
}

std::string NoticePublisher::boundEndpoint() const {
  return socket_.get(zmq::sockopt::last_endpoint);
}

NoticeSubscriber::NoticeSubscriber(zmq::context_t& context,
                                   std::shared_ptr<EndpointWatcher> endpoints,
                                   const SocketSecurity& security)
    : socket_(context, zmq::socket_type::sub), watcher_(std::move(endpoints)) {
  security.applyAsClient(socket_);
  socket_.set(zmq::sockopt::linger, 0);
  // Only the newest notice is kept: after a stall the subscriber reads the state as it is now,
  // not the history of how it got there.
  socket_.set(zmq::sockopt::conflate, 1);
  socket_.set(zmq::sockopt::subscribe, "");
  followEndpoints();
}

void NoticeSubscriber::followEndpoints() {
  std::vector<std::string> wanted;
  if (!watcher_ || !watcher_->changedSince(watcher_seen_, wanted)) return;
  reconnectTo(socket_, connected_, wanted);
}

std::optional<zmq::message_t> NoticeSubscriber::latest() {
  followEndpoints();
  std::optional<zmq::message_t> newest;
  zmq::message_t m;
  while (socket_.recv(m, zmq::recv_flags::dontwait)) newest = std::move(m);
  return newest;
}

}  // namespace callmesh::transport
