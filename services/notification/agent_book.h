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
  // Field by field, the registry's number when its entry sets it, else cluster.yaml's
  // notification.agents: a routing file that lists an agent only to ring it (id, uri) must not
  // take away the texting numbers cluster.yaml still gives it. nullopt when neither names it.
  std::optional<config::AgentNumbers> numbersOf(const std::string& agent) const {
    auto reg = registry();
    auto listed = reg->find(agent);
    auto configured = config_.notification.agents.find(agent);
    const bool in_config = configured != config_.notification.agents.end();
    if (listed == reg->end()) {
      return in_config ? std::optional<config::AgentNumbers>(configured->second) : std::nullopt;
    }
    config::AgentNumbers numbers = listed->second.numbers;
    if (in_config) {
      const auto& old = configured->second;
      if (numbers.personal_number.empty()) numbers.personal_number = old.personal_number;
      if (numbers.company_number.empty()) numbers.company_number = old.company_number;
      if (numbers.sender_id.empty()) numbers.sender_id = old.sender_id;
    }
    return numbers;
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
