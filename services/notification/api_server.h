#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "services/notification/api_deps.h"
#include "services/notification/api_gate.h"
#include "shared/base/result.h"

namespace callmesh::notification {

// The JSON HTTP API of docs/api/openapi.yaml (seed 004_ee4e98a6a7f6781b.txt): agents read their
// own notifications and records, claim, create/associate contacts, text back and set presence;
// admins manage contacts, numbers' settings and see agents, live calls and cap use; every client
// can follow GET /v1/stream (Server-Sent Events).
// Every refusal is a 4xx with {"error": code, "message": what is wrong} and changes nothing.
//
// Transport (issue 17): one io thread (Boost.Asio + Beast) accepts and reads requests under the
// header/body/time bounds; a granted stream's socket moves to one of a few stream threads
// (stream_shards.h), where it is a plain socket with a bounded queue (stream_fanout.h), so 5,000
// streams cost memory, not threads, and a fan-out never delays a request. Route handlers block
// on Redis and agent-presence, so they run on a small WorkerPool and post their answer back.
// The README says why Beast rather than libmicrohttpd or an epoll loop of our own.
// This class is the server only (bind, threads, which route groups); the routes are in route
// groups, one file each, registered through ApiRoutes (api_routes.h).
class ApiServer {
 public:
  ApiServer(ApiDeps deps, ApiLimitMetrics& limit_metrics);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds host:port (port 0 = any free port) and serves on a thread of its own.
  Status start(const std::string& host_port);
  void stop();
  int port() const { return port_; }

 private:
  struct Transport;
  void routes();

  ApiDeps deps_;
  std::unique_ptr<Transport> transport_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace callmesh::notification
