#pragma once

#include <functional>
#include <string>

#include "shared/log/logger.h"
#include "shared/metrics/admin_server.h"
#include "shared/transport/reply_server.h"

namespace callmesh::runtime {

// The edges every request/reply service shows the same way, so an operator reads them alike in
// each: the readiness rule of a service that needs Redis, the log line of a failed admin start,
// the log line of a dropped request. Used by agent-presence and concurrency-limiter.

// Ready while the service's last Redis round trip succeeded; otherwise /readyz answers 503
// "redis unreachable". For services that can do nothing without Redis (the router, which fails
// open, stays ready instead).
metrics::AdminServer::ReadinessProbe readyWhileRedisHealthy(std::function<bool()> redis_healthy);

// Starts `admin` on `host_port`; on failure logs `startup_failed` and returns false (main exits
// 1: a service nobody can probe or scrape must not run).
bool startAdmin(metrics::AdminServer& admin, const std::string& host_port, Logger& log);

// Logs each request the server dropped (undecodable, or its handler's error: the client retries
// or times out) as `request_dropped` with its type and the error.
transport::ReplyServer::ErrorSink logDroppedRequests(Logger& log);

}  // namespace callmesh::runtime
