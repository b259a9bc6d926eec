#pragma once

// Follows the agent registry (shared/config/agent_registry.h) in the active routing document
// for agent-presence and notification: one GET per poll while nothing changes, the document and
// a parse of its `agents` only when the active version moved.
#include <cstdint>
#include <optional>

#include "shared/base/result.h"
#include "shared/config/agent_registry.h"
#include "shared/redis/routing_documents.h"

namespace callmesh::redis {

class AgentRegistryWatcher {
 public:
  explicit AgentRegistryWatcher(RedisClient& redis) : docs_(redis) {}

  // The registry when the active version moved since the last call (nullopt when it did not, or
  // when no document is active yet). A document whose agents do not parse is an error, reported
  // once: the version counts as seen, so the caller keeps the registry it has.
  Result<std::optional<config::AgentRegistry>> poll();
  uint64_t version() const { return version_; }

 private:
  RoutingDocuments docs_;
  uint64_t version_ = 0;
};

}  // namespace callmesh::redis
