#include "services/notification/api_server.h"

#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "services/notification/api_routes.h"
#include "services/notification/console_files.h"
#include "services/notification/http_session.h"
#include "services/notification/stream_shards.h"

namespace callmesh::notification {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// What a connection over the cap gets before it is closed: no session, no buffer, one write.
const char kTooManyConnections[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\n"
    "Connection: close\r\nContent-Length: 89\r\n\r\n"
    "{\"error\":\"unavailable\",\"message\":\"too many open connections (api_connections_max)\"}\n";

// Streams are sockets: raise the soft descriptor limit to the hard one, so the configured caps
// (not the distribution's 1,024 default) are what refuses clients.
void raiseDescriptorLimit(Logger& log, int wanted) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < static_cast<rlim_t>(wanted) + 64) {
    log.warn("api_descriptor_limit",
             {{"nofile", std::to_string(lim.rlim_cur)},
              {"api_connections_max", std::to_string(wanted)},
              {"effect", "accepts fail before the connection cap is reached"}});
  }
}

// notification.trusted_proxies was checked when the config loaded; a config built in code that
// slipped past that trusts no proxy (the safe side) and says so.
net::CidrSet trustedProxies(ApiDeps& deps) {
  auto set =
      net::CidrSet::parse(deps.config.notification.trusted_proxies, "notification.trusted_proxies");
  if (set.ok()) return set.value();
  deps.log.error("trusted_proxies_ignored", {{"error", set.error().describe()}});
  return {};
}

}  // namespace

struct ApiServer::Transport {
  Transport(ApiDeps& deps, ApiLimitMetrics& limit_metrics)
      : limits(deps.config.notification.api_limits),
        gate(limits, deps.clock, limit_metrics),
        workers(limits.workers, static_cast<size_t>(limits.queue)),
        streams(limits.stream_threads, limit_metrics, deps.metrics.streams,
                limits.stream_keepalive_ms),
        trusted_proxies(trustedProxies(deps)),
        core{io, table, workers, gate, streams, deps.metrics, limits, trusted_proxies},
        acceptor(io),
        retry(io) {}

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {
        // Out of descriptors or the like: try again shortly rather than spin.
        retry.expires_after(std::chrono::milliseconds(100));
        retry.async_wait([this](boost::system::error_code e) {
          if (!e) accept();
        });
        return;
      }
      admit(std::move(socket));
      accept();
    });
  }

  void admit(tcp::socket socket) {
    if (open_connections->load() >= limits.connections_max) {
      gate.metrics().refused(Refusal::Connections).Increment();
      boost::system::error_code ignored;
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(kTooManyConnections, sizeof kTooManyConnections - 1), ignored);
      return;  // closed as `socket` goes
    }
    socket.set_option(tcp::no_delay(true));
    ++*open_connections;
    auto& metrics = gate.metrics();
    metrics.connections.Increment();
    // The connection's slot: given back when the session or the stream holding it is gone,
    // which may be while the io_context is destroyed, after this Transport's other members:
    // the deleter touches only what outlives them.
    std::shared_ptr<void> held(static_cast<void*>(this),
                               [count = open_connections, &metrics](void*) {
                                 --*count;
                                 metrics.connections.Decrement();
                               });
    std::make_shared<HttpSession>(std::move(socket), core, std::move(held))->start();
  }

  asio::io_context io{1};
  const config::ApiLimitSettings& limits;
  ApiGate gate;
  RouteTable table;
  WorkerPool workers;
  StreamShards streams;
  net::CidrSet trusted_proxies;
  HttpCore core;
  tcp::acceptor acceptor;
  asio::steady_timer retry;
  std::shared_ptr<std::atomic<int>> open_connections = std::make_shared<std::atomic<int>>(0);
};

ApiServer::ApiServer(ApiDeps deps, ApiLimitMetrics& limit_metrics)
    : deps_(deps), transport_(std::make_unique<Transport>(deps_, limit_metrics)) {
  routes();
}

ApiServer::~ApiServer() { stop(); }

Status ApiServer::start(const std::string& host_port) {
  std::string host;
  int port = 0;
  if (host_port.size() > 2 && host_port.substr(host_port.size() - 2) == ":0") {
    host = host_port.substr(0, host_port.size() - 2);
  } else if (!config::splitHostPort(host_port, host, port)) {
    return Error{ErrorKind::InvalidInput, "API address must be host:port", host_port};
  }
  if (const auto& dir = deps_.config.notification.console_dir;
      !dir.empty() && !consoleFile(dir, "/")) {
    return Error{ErrorKind::InvalidInput,
                 "notification.console_dir has no index.html (build the console: npm run build)",
                 dir};
  }
  raiseDescriptorLimit(deps_.log, transport_->limits.connections_max);
  auto& t = *transport_;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) return Error{ErrorKind::InvalidInput, "API host must be an IP address", host_port};
  tcp::endpoint at(address, static_cast<unsigned short>(port));
  t.acceptor.open(at.protocol(), ec);
  if (!ec) t.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) t.acceptor.bind(at, ec);
  if (!ec) t.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error{ErrorKind::Disconnected,
                 "cannot bind the HTTP API (port in use?): " + ec.message(), host_port};
  }
  port_ = t.acceptor.local_endpoint().port();
  // From the bus feed thread: encoded once and handed to the stream threads, never waited for.
  deps_.hub.setListener([&t](std::shared_ptr<const StreamEvent> e) { t.streams.publish(e); });
  t.accept();
  t.streams.start();
  thread_ = std::thread([&t] { t.io.run(); });
  return {};
}

void ApiServer::stop() {
  deps_.hub.close();  // no more events to post
  if (!thread_.joinable()) return;
  auto& t = *transport_;
  asio::post(t.io, [&t] {
    boost::system::error_code ignored;
    t.acceptor.close(ignored);
  });
  t.streams.stop();  // every stream closed, the stream threads joined
  t.workers.stop();  // handlers in flight finish; their answers are posted to the io thread
  asio::post(t.io, [&t] { t.io.stop(); });  // after the closing above (handlers run in order)
  thread_.join();
}

void ApiServer::routes() {
  // Handlers capture deps_ by reference: it lives as long as the server that calls them.
  ApiRoutes routes(transport_->table, deps_, transport_->gate);
  addAgentRoutes(routes);
  addNotificationRoutes(routes);
  addTextRoutes(routes);
  addContactRoutes(routes);
  addContactSearchRoutes(routes);
  addNumberRoutes(routes);
  addLiveCallRoutes(routes);
  addCallRecordRoutes(routes);
  addWebhookRoutes(routes);
  addStreamRoutes(routes);
  addRoutingRoutes(routes);
  addRoutingResourceRoutes(routes);
  addConsoleRoutes(routes);  // last: its "/<name>" pattern is the widest
}

}  // namespace callmesh::notification
