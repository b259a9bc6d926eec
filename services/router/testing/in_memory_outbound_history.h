#pragma once

// Test-only: seed 002's per-contact outbound history in memory, with the same meaning as the
// Redis hash of docs/redis-keys.md (`cm:outbound:{<e164>}`).

#include <map>
#include <string>
#include <utility>

#include "services/router/outbound_history.h"

namespace callmesh::router::testing {

class InMemoryOutboundHistory final : public OutboundHistory {
 public:
  struct Contact {
    std::string last_number;
    std::string last_project;
    std::map<std::string, ContactHistory> by_project;  // attempts, used, last_outcome
  };

  void setOutcome(const std::string& callee, const std::string& project, std::string outcome) {
    contacts_[callee].by_project[project].last_outcome = std::move(outcome);
  }
  void failWith(std::string message) { failure_ = std::move(message); }
  const Contact& contact(const std::string& callee) { return contacts_[callee]; }

  Result<ContactHistory> read(const std::string& callee, const std::string& project) override {
    if (!failure_.empty()) return Error{ErrorKind::Disconnected, failure_, "outbound history"};
    Contact& c = contacts_[callee];
    ContactHistory h = c.by_project[project];
    h.last_number = c.last_number;
    h.last_project = c.last_project;
    return h;
  }
  Status record(const std::string& callee, const std::string& project,
                const OutboundAttempt& attempt) override {
    if (!failure_.empty()) return Error{ErrorKind::Disconnected, failure_, "outbound history"};
    Contact& c = contacts_[callee];
    c.last_number = attempt.number;
    c.last_project = project;
    ContactHistory& h = c.by_project[project];
    ++h.attempts;
    h.used = attempt.used;
    return {};
  }

 private:
  std::map<std::string, Contact> contacts_;
  std::string failure_;
};

}  // namespace callmesh::router::testing
