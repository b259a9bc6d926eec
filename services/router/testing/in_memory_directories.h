#pragma once

// Test-only, in-memory stand-ins for the presence service and the CRM store (the router reads
// both from Redis). Production code never includes this header; tests and the decision
// benchmark do.

#include <map>
#include <string>
#include <vector>

#include "services/router/agent_availability.h"
#include "services/router/contact_directory.h"

namespace callmesh::router::testing {

// Agents not listed are Available and idle since the epoch.
class InMemoryAgentAvailability final : public AgentAvailability {
 public:
  void set(const std::string& agent_id, AgentPresence presence, int64_t idle_since_ms = 0) {
    statuses_[agent_id] = AgentStatus{presence, idle_since_ms};
  }
  AgentStatus status(const std::string& agent_id) const override {
    auto it = statuses_.find(agent_id);
    return it == statuses_.end() ? AgentStatus{AgentPresence::Available, 0} : it->second;
  }

 private:
  std::map<std::string, AgentStatus> statuses_;
};

class InMemoryContactDirectory final : public ContactDirectory {
 public:
  void add(const std::string& e164, Contact contact) { by_number_[e164].push_back(contact); }
  void failWith(std::string message) { failure_ = std::move(message); }

  Result<std::vector<Contact>> contactsWithNumber(const std::string& e164) const override {
    if (!failure_.empty()) return Error{ErrorKind::Disconnected, failure_, "contacts"};
    auto it = by_number_.find(e164);
    return it == by_number_.end() ? std::vector<Contact>{} : it->second;
  }

 private:
  std::map<std::string, std::vector<Contact>> by_number_;
  std::string failure_;
};

}  // namespace callmesh::router::testing
