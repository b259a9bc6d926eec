#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "services/router/agent_availability.h"
#include "services/router/contact_directory.h"
#include "services/router/queue_strategy.h"
#include "services/router/route_planner.h"
#include "services/router/router_metrics.h"
#include "services/router/routing_config.h"
#include "shared/base/result.h"
#include "shared/log/logger.h"

namespace callmesh::router {

// Wiring between RouteRequest frames and the RoutePlanner, plus config reload.
// Owned by the router's loop thread. `presence` and `contacts` are borrowed and must outlive it.
class RouterService {
 public:
  RouterService(std::string routing_file, RouterMetrics& metrics, Logger& log,
                const AgentAvailability& presence, const ContactDirectory& contacts);

  // Loads the routing file at startup; an error here is fatal for the process.
  Status loadInitial();
  // Reloads when asked (SIGHUP) or when the file's mtime changed. A broken file leaves the
  // running config in place and logs why; returns whether a new config is now active.
  bool reloadIfChanged(bool force);

  Result<std::vector<uint8_t>> handle(const zmq::message_t& payload);
  const RoutingConfig& config() const { return *config_; }

 private:
  int64_t fileMtime() const;

  std::string routing_file_;
  RouterMetrics& metrics_;
  Logger& log_;
  const AgentAvailability& presence_;
  const ContactDirectory& contacts_;
  // Round-robin positions survive reloads: they are keyed by queue id, not by config object.
  QueueCursors queue_cursors_;
  std::shared_ptr<const RoutingConfig> config_;
  int64_t loaded_mtime_ = 0;
};

}  // namespace callmesh::router
