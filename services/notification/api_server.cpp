#include "services/notification/api_server.h"

#include <httplib.h>

#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "services/notification/console_files.h"

namespace callmesh::notification {

ApiServer::ApiServer(ApiDeps deps, int threads)
    : deps_(deps), server_(std::make_unique<httplib::Server>()) {
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(64 * 1024);
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
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
    if (port_ < 0) return Error{ErrorKind::Disconnected, "cannot bind the HTTP API", host_port};
  } else {
    if (!server_->bind_to_port(host, port)) {
      return Error{ErrorKind::Disconnected, "cannot bind the HTTP API (port in use?)", host_port};
    }
    port_ = port;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return {};
}

void ApiServer::stop() {
  deps_.hub.close();  // ends every stream, so the workers can finish
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

void ApiServer::routes() {
  // Handlers capture deps_ by reference: it lives as long as the server that calls them.
  ApiRoutes routes(*server_, deps_);
  addAgentRoutes(routes);
  addNotificationRoutes(routes);
  addTextRoutes(routes);
  addContactRoutes(routes);
  addContactSearchRoutes(routes);
  addNumberRoutes(routes);
  addLiveCallRoutes(routes);
  addStreamRoutes(routes);
  addConsoleRoutes(routes);  // last: its "/<name>" pattern is the widest

  server_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) {
      writeReply(refuse(404, "not_found", "no route " + req.method + " " + req.path), res);
    }
  });
}

}  // namespace callmesh::notification
