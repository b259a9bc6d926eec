#include "shared/redis/agent_registry_watcher.h"

namespace callmesh::redis {

Result<std::optional<config::AgentRegistry>> AgentRegistryWatcher::poll() {
  auto active = docs_.activeVersion();
  if (!active.ok()) return active.error();
  if (*active == 0 || *active == version_) return std::optional<config::AgentRegistry>();
  auto doc = docs_.document(*active);
  if (!doc.ok()) return doc.error();
  if (!doc->has_value()) return std::optional<config::AgentRegistry>();  // trimmed meanwhile
  version_ = *active;
  auto registry = config::parseAgentRegistry((*doc)->yaml);
  if (!registry.ok()) {
    Error e = registry.error();
    e.context = "routing v" + std::to_string(version_) + ": " + e.context;
    return e;
  }
  return std::optional<config::AgentRegistry>(std::move(registry.value()));
}

}  // namespace callmesh::redis
