#pragma once

#include <memory>
#include <string>
#include <thread>

#include "services/notification/api_deps.h"
#include "shared/base/result.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace callmesh::notification {

// The JSON HTTP API of docs/api/openapi.yaml (seed 004_ee4e98a6a7f6781b.txt): agents read their
// own notifications and records, claim, create/associate contacts, text back and set presence;
// admins manage contacts, numbers' settings and see agents, live calls and cap use; every client
// can follow GET /v1/stream (Server-Sent Events).
// Every refusal is a 4xx with {"error": code, "message": what is wrong} and changes nothing.
// Runs on cpp-httplib's worker threads (a pool of `threads`), separate from the event loop.
// This class is the server only (limits, bind, threads); the routes are in route groups, one
// file each, registered through ApiRoutes (api_routes.h).
class ApiServer {
 public:
  explicit ApiServer(ApiDeps deps, int threads = 32);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds host:port (port 0 = any free port) and serves on a thread of its own.
  Status start(const std::string& host_port);
  void stop();
  int port() const { return port_; }

 private:
  void routes();

  ApiDeps deps_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace callmesh::notification
