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
  std::vector<Frames> batch;  // consecutive requests of one batch-handled type
  std::string batch_type;
  auto serveBatched = [&] {
    if (!batch.empty()) serveBatch(batch_type, batch);
    batch.clear();
  };
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
    if (batch_handlers_.count(type)) {
      if (!batch.empty() && type != batch_type) serveBatched();
      if (batch.empty()) batch_type.assign(type);
      batch.push_back(std::move(frames));
      if (batch.size() >= kMaxBatch) serveBatched();
      continue;
    }
    serveBatched();  // requests keep their order across types
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
    sendReply(frames, std::move(reply), type);
  }
  serveBatched();
  return served;
}

void ReplyServer::serveBatch(std::string_view type, std::vector<Frames>& requests) {
  std::vector<const zmq::message_t*> payloads;
  payloads.reserve(requests.size());
  for (auto& r : requests) payloads.push_back(&r[3]);
  std::vector<Result<std::vector<uint8_t>>> replies;
  try {
    replies = batch_handlers_.find(type)->second(payloads);
  } catch (const kj::Exception& e) {
    replies.assign(requests.size(),
                   Error{ErrorKind::InvalidInput, e.getDescription().cStr(), std::string(type)});
  } catch (const std::exception& e) {
    replies.assign(requests.size(), Error{ErrorKind::Internal, e.what(), std::string(type)});
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    sendReply(requests[i],
              i < replies.size() ? std::move(replies[i])
                                 : Result<std::vector<uint8_t>>(
                                       Error{ErrorKind::Internal, "batch handler gave no reply"}),
              type);
  }
}

void ReplyServer::sendReply(Frames& request, Result<std::vector<uint8_t>> reply,
                            std::string_view type) {
  if (!reply.ok()) {
    ++stats_.handler_errors;
    if (error_sink_) error_sink_(type, reply.error());
    return;
  }
  auto& bytes = reply.value();
  (void)socket_.send(request[0], zmq::send_flags::sndmore);
  (void)socket_.send(request[1], zmq::send_flags::sndmore);
  (void)socket_.send(request[2], zmq::send_flags::sndmore);
  (void)socket_.send(zmq::message_t(bytes.data(), bytes.size()), zmq::send_flags::none);
}

}  // namespace callmesh::transport
