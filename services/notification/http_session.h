#pragma once

// One HTTP/1.1 connection of the API on the io thread (Boost.Beast): reads a request under the
// header and body bounds and a read deadline, hands it to a worker, writes the answer, and keeps
// the connection for the next request, or hands the socket to the stream fan-out when the answer
// is a granted stream. Nothing here blocks; the handlers run on the WorkerPool.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "services/notification/api_deps.h"
#include "services/notification/api_gate.h"
#include "services/notification/http_router.h"
#include "services/notification/stream_shards.h"
#include "services/notification/worker_pool.h"

namespace callmesh::notification {

// What every connection shares; owned by ApiServer, which outlives them all.
struct HttpCore {
  boost::asio::io_context& io;
  const RouteTable& routes;
  WorkerPool& workers;
  ApiGate& gate;
  StreamShards& streams;
  ApiMetrics& metrics;
  const config::ApiLimitSettings& limits;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // `held` is the connection's slot in the connection cap, kept until the socket closes.
  HttpSession(boost::asio::ip::tcp::socket socket, HttpCore& core, std::shared_ptr<void> held);
  void start() { awaitRequest(); }

 private:
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  void awaitRequest();
  void readHeader();
  void onHeader(boost::system::error_code ec);
  void onRequest(boost::system::error_code ec);
  // A read that failed: the right refusal (431, 413, 400) or a quiet close.
  void readFailed(boost::system::error_code ec);
  void dispatch();
  void answer(std::shared_ptr<httplib::Request> req, RouteOutcome out);
  void openStream(RouteOutcome out);
  // A transport-level refusal: the API's JSON body, counted; `close` ends the connection after.
  void refuse(int status, Refusal why, const std::string& code, const std::string& message,
              bool close, int retry_after_s = 0);
  void write(const httplib::Response& res, bool head, bool keep_alive);
  void arm(int ms);
  void disarm();
  void closeSocket();
  void lingerClose();
  void drain();

  boost::asio::ip::tcp::socket socket_;
  HttpCore& core_;
  std::shared_ptr<void> held_;
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  boost::asio::steady_timer deadline_;
  std::string remote_;
  int remote_port_ = 0;
  bool timed_out_ = false;
  uint64_t armed_ = 0;  // generation of the deadline
};

}  // namespace callmesh::notification
