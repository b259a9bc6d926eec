#include "shared/metrics/admin_server.h"

#include <httplib.h>
#include <prometheus/text_serializer.h>

#include "shared/config/cluster_config.h"
#include "shared/metrics/process_collector.h"

namespace callmesh::metrics {

AdminServer::AdminServer(std::shared_ptr<prometheus::Registry> registry, ReadinessProbe readiness)
    : registry_(std::move(registry)),
      readiness_(std::move(readiness)),
      server_(std::make_unique<httplib::Server>()) {
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    prometheus::TextSerializer serializer;
    auto families = registry_->Collect();
    for (auto& f : ProcessCollector().Collect()) families.push_back(std::move(f));
    res.set_content(serializer.Serialize(families), "text/plain; version=0.0.4");
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    std::string reason = readiness_ ? readiness_() : std::string();
    if (reason.empty()) {
      res.set_content("ready\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content("not ready: " + reason + "\n", "text/plain");
    }
  });
}

AdminServer::~AdminServer() { stop(); }

Status AdminServer::start(const std::string& host_port) {
  std::string host;
  int port = 0;
  if (host_port.size() > 2 && host_port.substr(host_port.size() - 2) == ":0") {
    host = host_port.substr(0, host_port.size() - 2);
  } else if (!config::splitHostPort(host_port, host, port)) {
    return Error{ErrorKind::InvalidInput, "admin address must be host:port", host_port};
  }
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
    if (port_ < 0) return Error{ErrorKind::Disconnected, "cannot bind admin HTTP", host_port};
  } else {
    if (!server_->bind_to_port(host, port)) {
      return Error{ErrorKind::Disconnected, "cannot bind admin HTTP (port in use?)", host_port};
    }
    port_ = port;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return {};
}

void AdminServer::stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace callmesh::metrics
