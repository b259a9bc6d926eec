#pragma once

// Follows the agent registry (the active routing document's `agents`, docs/provisioning.md) for a
// service's poll loop, the one way agent-presence and notification do it: each poll() is one
// GET while nothing changes; a registry that cannot be read is logged when it becomes unreadable
// (not every second while it stays so) and again when it is readable; a newly active registry
// goes to `apply` and is logged with its version. The service keeps what it had meanwhile.
#include <cstdint>
#include <functional>
#include <string>

#include "shared/config/agent_registry.h"
#include "shared/log/logger.h"
#include "shared/redis/agent_registry_watcher.h"

namespace callmesh::runtime {

class RegistryFollower {
 public:
  using Apply = std::function<void(config::AgentRegistry)>;

  RegistryFollower(redis::RedisClient& redis, Logger& log, Apply apply)
      : watcher_(redis), log_(log), apply_(std::move(apply)) {}

  void poll();
  uint64_t version() const { return watcher_.version(); }
  // The error of the last poll, empty when it read the registry (or found it unchanged).
  const std::string& lastError() const { return last_error_; }

 private:
  redis::AgentRegistryWatcher watcher_;
  Logger& log_;
  Apply apply_;
  std::string last_error_;
};

}  // namespace callmesh::runtime
