#include "services/notification/http_session.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"

namespace callmesh::notification {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

HttpSession::HttpSession(asio::ip::tcp::socket socket, HttpCore& core, std::shared_ptr<void> held)
    : socket_(std::move(socket)), core_(core), held_(std::move(held)), deadline_(core.io) {
  error_code ec;
  auto peer = socket_.remote_endpoint(ec);
  if (!ec) {
    remote_ = peer.address().to_string();
    remote_port_ = peer.port();
  }
}

void HttpSession::arm(int ms) {
  timed_out_ = false;
  deadline_.expires_after(std::chrono::milliseconds(ms));
  // An expiry already queued when the deadline is re-armed or cancelled still runs with success:
  // the generation tells it that it is stale.
  deadline_.async_wait([weak = weak_from_this(), gen = ++armed_](error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->armed_ != gen) return;  // re-armed or cancelled
    self->timed_out_ = true;
    self->closeSocket();  // the pending read or write fails and ends the session
  });
}

void HttpSession::disarm() {
  ++armed_;
  deadline_.cancel();
}

void HttpSession::closeSocket() {
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void HttpSession::lingerClose() {
  // After a refusal the client may still be sending (the body of a 413): closing with unread
  // bytes would reset the connection and lose the answer, so stop sending, read what comes for a
  // moment, then close.
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  arm(1000);
  buffer_.clear();
  drain();
}

void HttpSession::drain() {
  socket_.async_read_some(buffer_.prepare(4096),
                          [self = shared_from_this()](error_code ec, size_t) {
                            self->buffer_.clear();
                            if (!ec) return self->drain();
                            self->disarm();
                            self->closeSocket();
                          });
}

void HttpSession::awaitRequest() {
  if (buffer_.size() > 0) return readHeader();  // a pipelined request is already here
  // Idle keep-alive: wait for the first byte under the idle deadline; then the whole request
  // must arrive within the read deadline (a slowloris client gets no longer by trickling).
  arm(core_.limits.idle_timeout_ms);
  socket_.async_wait(asio::ip::tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
    if (ec) return self->closeSocket();
    self->readHeader();
  });
}

void HttpSession::readHeader() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(core_.limits.header_limit_bytes));
  parser_->body_limit(static_cast<std::uint64_t>(core_.limits.body_limit_bytes));
  arm(core_.limits.read_timeout_ms);
  http::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](error_code ec, size_t) { self->onHeader(ec); });
}

void HttpSession::readFailed(error_code ec) {
  disarm();
  if (timed_out_) {
    core_.gate.metrics().refused(Refusal::ReadTimeout).Increment();
    return closeSocket();  // no answer: the client is not reading one either
  }
  if (ec == http::error::header_limit) {
    return refuse(431, Refusal::HeaderTooLarge, "header_too_large",
                  "request line and headers exceed " +
                      std::to_string(core_.limits.header_limit_bytes) + " bytes",
                  true);
  }
  if (ec == http::error::body_limit) {
    return refuse(
        413, Refusal::BodyTooLarge, "body_too_large",
        "request body exceeds " + std::to_string(core_.limits.body_limit_bytes) + " bytes", true);
  }
  if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return refuse(400, Refusal::BadRequest, "bad_request", "not an HTTP/1.1 request", true);
  }
  closeSocket();  // the client went away (EOF, reset, half a request)
}

void HttpSession::onHeader(error_code ec) {
  if (ec) return readFailed(ec);
  auto& req = parser_->get();
  if (parser_->is_done()) return onRequest({});
  if (beast::iequals(req[http::field::expect], "100-continue")) {
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(socket_, asio::buffer(kContinue),
                      [self = shared_from_this()](error_code ec2, size_t) {
                        if (ec2) return self->readFailed(ec2);
                        http::async_read(self->socket_, self->buffer_, *self->parser_,
                                         [self](error_code ec3, size_t) { self->onRequest(ec3); });
                      });
    return;
  }
  http::async_read(socket_, buffer_, *parser_,
                   [self = shared_from_this()](error_code ec2, size_t) { self->onRequest(ec2); });
}

void HttpSession::onRequest(error_code ec) {
  if (ec) return readFailed(ec);
  disarm();
  if (int wait = core_.gate.authThrottled(remote_); wait > 0) {
    return refuse(
        429, Refusal::AuthThrottled, "too_many_requests",
        "too many failed sign-ins from " + remote_ + "; retry after " + std::to_string(wait) + " s",
        !parser_->get().keep_alive(), wait);
  }
  dispatch();
}

void HttpSession::dispatch() {
  auto& in = parser_->get();
  auto req = std::make_shared<httplib::Request>();
  fillHandlerRequest(*req, std::string(in.method_string()), std::string(in.target()),
                     std::move(in.body()), remote_, remote_port_);
  for (const auto& f : in)
    req->headers.emplace(std::string(f.name_string()), std::string(f.value()));
  auto self = shared_from_this();
  bool queued = core_.workers.trySubmit([self, req] {
    auto out = std::make_shared<RouteOutcome>(self->core_.routes.dispatch(*req));
    asio::post(self->core_.io, [self, req, out] { self->answer(req, std::move(*out)); });
  });
  if (!queued) {
    refuse(503, Refusal::WorkersBusy, "unavailable", "every API worker is busy; retry shortly",
           !in.keep_alive(), 1);
  }
}

void HttpSession::answer(std::shared_ptr<httplib::Request> req, RouteOutcome out) {
  if (out.res.status == 401) core_.gate.authFailed(remote_);
  if (out.stream) return openStream(std::move(out));
  write(out.res, req->method == "HEAD", parser_->get().keep_alive());
}

void HttpSession::openStream(RouteOutcome out) {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n";
  for (const auto& [name, value] : out.res.headers) {
    if (beast::iequals(name, "Content-Type") || beast::iequals(name, "Content-Length")) continue;
    head += name + ": " + value + "\r\n";
  }
  head += "Transfer-Encoding: chunked\r\n\r\n";
  if (!out.res.body.empty()) head += httpChunk(out.res.body);
  disarm();
  core_.streams.open(std::move(socket_), std::move(*out.stream), std::move(held_),
                     static_cast<size_t>(core_.limits.stream_queue_bytes), std::move(head));
}

void HttpSession::refuse(int status, Refusal why, const std::string& code,
                         const std::string& message, bool close, int retry_after_s) {
  core_.gate.metrics().refused(why).Increment();
  core_.metrics.requests(status).Increment();
  httplib::Response res;
  writeReply(notification::refuse(status, code, message), res);
  if (retry_after_s > 0) res.set_header("Retry-After", std::to_string(retry_after_s));
  write(res, false, !close);
}

void HttpSession::write(const httplib::Response& from, bool head, bool keep_alive) {
  auto res = std::make_shared<http::response<http::string_body>>();
  res->version(11);
  res->result(static_cast<unsigned>(from.status));
  for (const auto& [name, value] : from.headers) res->insert(name, value);
  res->body() = from.body;
  res->prepare_payload();
  if (head) res->body().clear();  // HEAD: GET's headers, Content-Length included, no body
  res->keep_alive(keep_alive);
  // A client that does not read its answer is cut off like one that does not send its request.
  arm(core_.limits.read_timeout_ms);
  http::async_write(socket_, *res,
                    [self = shared_from_this(), res, keep_alive](error_code ec, size_t) {
                      self->disarm();
                      if (ec) return self->closeSocket();
                      if (!keep_alive) return self->lingerClose();
                      self->awaitRequest();
                    });
}

}  // namespace callmesh::notification
