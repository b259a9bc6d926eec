#pragma once

// Agents as the notification API knows them: the agent registry (the active routing document's
// `agents`, config/agent_registry.h) over cluster.yaml's deprecated notification.agents and
// agent_presence.agents. Thread-safe: API workers read, the event loop replaces the registry.
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "shared/config/agent_registry.h"
#include "shared/config/cluster_config.h"

namespace callmesh::notification {

class AgentBook {
 public:
  explicit AgentBook(const config::ClusterConfig& config) : config_(config) {}

  void setRegistry(config::AgentRegistry registry) {
    auto next = std::make_shared<const config::AgentRegistry>(std::move(registry));
    std::lock_guard<std::mutex> lock(mutex_);
    registry_ = std::move(next);
  }
  // The registry's numbers when it lists the agent, else cluster.yaml's; nullopt when neither.
  std::optional<config::AgentNumbers> numbersOf(const std::string& agent) const {
    auto reg = registry();
    if (auto it = reg->find(agent); it != reg->end()) return it->second.numbers;
    auto it = config_.notification.agents.find(agent);
    if (it != config_.notification.agents.end()) return it->second;
    return std::nullopt;
  }
  // Every agent either source names.
  std::set<std::string> ids() const {
    std::set<std::string> out;
    for (const auto& [id, a] : *registry()) out.insert(id);
    for (const auto& [id, a] : config_.notification.agents) out.insert(id);
    for (const auto& [id, a] : config_.presence.agents) out.insert(id);
    return out;
  }

 private:
  std::shared_ptr<const config::AgentRegistry> registry() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return registry_;
  }

  const config::ClusterConfig& config_;
  mutable std::mutex mutex_;
  std::shared_ptr<const config::AgentRegistry> registry_ =
      std::make_shared<const config::AgentRegistry>();
};

}  // namespace callmesh::notification
