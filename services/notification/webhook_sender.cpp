#include "services/notification/webhook_sender.h"

#include <chrono>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace callmesh::notification {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
Error failedTo(const std::string& what, const beast::error_code& ec) {
  ErrorKind kind = ec == beast::error::timeout ? ErrorKind::Timeout : ErrorKind::Disconnected;
  return Error{kind, what + ": " + ec.message(), "webhook"};
}
}  // namespace

Result<int> postWebhook(const WebhookRequest& req, const WebhookSendLimits& limits) {
  asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::error_code ec;
  auto endpoints = resolver.resolve(req.url.host, req.url.port, ec);
  if (ec) return failedTo("resolve " + req.url.host, ec);
  // Asynchronous operations run to completion here, so the stream's timeouts apply.
  stream.expires_after(std::chrono::milliseconds(limits.connect_timeout_ms));
  stream.async_connect(endpoints, [&ec](beast::error_code e, const tcp::endpoint&) { ec = e; });
  io.run();
  if (ec) return failedTo("connect " + req.url.host + ":" + req.url.port, ec);
  io.restart();

  http::request<http::string_body> out{http::verb::post, req.url.target, 11};
  out.set(http::field::host, req.url.host + (req.url.port == "80" ? "" : ":" + req.url.port));
  out.set(http::field::user_agent, "callmesh-webhooks/1");
  out.set(http::field::content_type, "application/json");
  out.set(http::field::connection, "close");
  for (const auto& [name, value] : req.headers) out.set(name, value);
  out.body() = req.body;
  out.prepare_payload();

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.max_response_header_bytes));
  parser.body_limit(limits.max_response_body_bytes);
  stream.expires_after(std::chrono::milliseconds(limits.request_timeout_ms));
  http::async_write(stream, out, [&](beast::error_code e, std::size_t) {
    ec = e;
    if (e) return;
    http::async_read(stream, buffer, parser, [&ec](beast::error_code r, std::size_t) { ec = r; });
  });
  io.run();
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  if (ec) return failedTo("post to " + req.url.host + ":" + req.url.port, ec);
  return static_cast<int>(parser.get().result_int());
}

}  // namespace callmesh::notification
