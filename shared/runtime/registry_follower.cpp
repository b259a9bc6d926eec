#include "shared/runtime/registry_follower.h"

namespace callmesh::runtime {

void RegistryFollower::poll() {
  auto got = watcher_.poll();
  std::string error = got.ok() ? std::string() : got.error().describe();
  // Once when it becomes unreadable, not once per distinct text: a reconnecting client's error
  // names its next attempt and its failure count, so it differs on every poll of an outage.
  if (!error.empty() && last_error_.empty()) {
    log_.warn("agent_registry_unreadable", {{"error", error}});
  } else if (error.empty() && !last_error_.empty()) {
    log_.info("agent_registry_readable", {{"after", last_error_}});
  }
  last_error_ = std::move(error);
  if (!got.ok() || !got->has_value()) return;
  const auto agents = static_cast<int64_t>((*got)->size());
  apply_(std::move(**got));
  log_.info("agent_registry_loaded",
            {{"version", std::to_string(watcher_.version())}, {"agents", agents}});
}

}  // namespace callmesh::runtime
