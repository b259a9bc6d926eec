#include "shared/transport/reply_server.h"

#include <exception>

#include <kj/exception.h>

#include "shared/transport/envelope.h"
#include "shared/transport/frames.h"

namespace callmesh::transport {

ReplyServer::ReplyServer(zmq::context_t& context, const std::string& bind_endpoint,
                         const SocketSecurity& security)
    : socket_(context, zmq::socket_type::router) {
  security.applyAsServer(socket_);
  socket_.set(zmq::sockopt::linger, 0);
  // Replies to a peer that vanished are dropped rather than queued or erroring.
  socket_.set(zmq::sockopt::router_mandatory, 0);
  socket_.bind(bind_endpoint);
}

std::string ReplyServer::boundEndpoint() const { return socket_.get(zmq::sockopt::last_endpoint); }

size_t ReplyServer::serveReady(size_t max) {
  size_t served = 0;
  while (served < max) {
    auto frames = receiveFrames(socket_);
    if (frames.empty()) break;
    ++served;
    ++stats_.requests;
    uint64_t id = 0;
    if (frames.size() != 4 || !decodeRequestId(frames[2], id)) {
      ++stats_.malformed;
      if (error_sink_) {
        error_sink_("?",
                    invalidInput("envelope must be [identity][type][request-id][payload], got " +
                                 std::to_string(frames.size()) + " frames"));
      }
      continue;
    }
    std::string_view type(static_cast<const char*>(frames[1].data()), frames[1].size());
    auto it = handlers_.find(type);
    if (it == handlers_.end()) {
      ++stats_.unknown_type;
      if (error_sink_) error_sink_(type, invalidInput("no handler for message type"));
      continue;
    }
    Result<std::vector<uint8_t>> reply = Error{ErrorKind::Internal, "handler did not run"};
    try {
      reply = it->second(frames[3]);
    } catch (const kj::Exception& e) {
      reply = Error{ErrorKind::InvalidInput, e.getDescription().cStr(), std::string(type)};
    } catch (const std::exception& e) {
      reply = Error{ErrorKind::Internal, e.what(), std::string(type)};
    }
    if (!reply.ok()) {
      ++stats_.handler_errors;
      if (error_sink_) error_sink_(type, reply.error());
      continue;
    }
    auto& bytes = reply.value();
    (void)socket_.send(frames[0], zmq::send_flags::sndmore);
    (void)socket_.send(frames[1], zmq::send_flags::sndmore);
    (void)socket_.send(frames[2], zmq::send_flags::sndmore);
    (void)socket_.send(zmq::message_t(bytes.data(), bytes.size()), zmq::send_flags::none);
  }
  return served;
}

}  // namespace callmesh::transport
