#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "shared/base/result.h"
#include "shared/transport/link_security.h"

namespace callmesh::transport {

struct ReplyServerStats {
  uint64_t requests = 0;
  uint64_t malformed = 0;       // frames that do not follow the envelope
  uint64_t unknown_type = 0;    // a message type nobody handles here
  uint64_t handler_errors = 0;  // handler threw or returned an error: logged, no reply sent
};

// The serving side of RequestClient: a ROUTER socket that hands each request to the handler
// registered for its message type and sends the handler's bytes back under the same request id.
// A handler returning an Error sends nothing (the client retries or times out) and is counted.
class ReplyServer {
 public:
  // payload in, reply payload out.
  using Handler = std::function<Result<std::vector<uint8_t>>(const zmq::message_t& payload)>;
  // Several payloads of one type in, one reply (or Error) per payload out, in order.
  using BatchHandler = std::function<std::vector<Result<std::vector<uint8_t>>>(
      const std::vector<const zmq::message_t*>& payloads)>;
  using ErrorSink = std::function<void(std::string_view type, const Error&)>;

  ReplyServer(zmq::context_t& context, const std::string& bind_endpoint,
              const SocketSecurity& security);

  void handle(std::string type, Handler handler) {
    handlers_[std::move(type)] = std::move(handler);
  }
  // Requests of `type` that are waiting together (consecutive on the socket, at most
  // kMaxBatch) go to `handler` at once: a service whose every request waits on a round trip of
  // its own (Redis) can share one among them. Replaces a plain handler of that type.
  void handleBatch(std::string type, BatchHandler handler) {
    handlers_.erase(type);
    batch_handlers_[std::move(type)] = std::move(handler);
  }
  static constexpr size_t kMaxBatch = 64;
  void onError(ErrorSink sink) { error_sink_ = std::move(sink); }

  // Serves the requests waiting on the socket (at most `max`) without blocking; returns how many.
  size_t serveReady(size_t max = SIZE_MAX);

  zmq::socket_t& socket() { return socket_; }
  const ReplyServerStats& stats() const { return stats_; }
  // The endpoint actually bound (resolves tcp://127.0.0.1:0 to the chosen port).
  std::string boundEndpoint() const;

 private:
  zmq::socket_t socket_;
  using Frames = std::vector<zmq::message_t>;
  // Runs the handler of `type` over `requests` (each [identity][type][id][payload]), replies sent.
  void serveBatch(std::string_view type, std::vector<Frames>& requests);
  void sendReply(Frames& request, Result<std::vector<uint8_t>> reply, std::string_view type);

  std::map<std::string, Handler, std::less<>> handlers_;
  std::map<std::string, BatchHandler, std::less<>> batch_handlers_;
  ErrorSink error_sink_;
  ReplyServerStats stats_;
};

}  // namespace callmesh::transport
