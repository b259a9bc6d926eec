#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/base/result.h"

namespace callmesh::router {

// What earlier outbound calls left behind for one contact (the callee's E.164), as seen by one
// project (seed 002).
struct ContactHistory {
  std::string last_number;   // caller ID of the last call to the contact by any project; "" none
  std::string last_project;  // the project that made it
  int64_t attempts = 0;      // calls this project has placed to the contact (0 = first call)
  // This project's numbers already used with the contact in the current round of "different number
  // for each contact attempt", oldest first; a round ends when every number has been used.
  std::vector<std::string> used;
  std::string last_outcome;  // outcome of this project's last call to the contact; "" = none
};

// One outbound call placed, to remember.
struct OutboundAttempt {
  std::string number;             // the caller ID presented
  std::vector<std::string> used;  // the project's `used` list after this call
  int64_t at_ms = 0;              // wall clock of the decision
};

// The seam to the per-contact outbound state (docs/redis-keys.md `cm:outbound:{<e164>}`).
// Used on the router's loop thread. Both calls may fail (Redis unreachable); the planner then
// treats the call as a first call and places it anyway.
class OutboundHistory {
 public:
  virtual ~OutboundHistory() = default;
  virtual Result<ContactHistory> read(const std::string& callee, const std::string& project) = 0;
  // Remembers the call: the contact's last number (for every project) and this project's attempt
  // count and used numbers.
  virtual Status record(const std::string& callee, const std::string& project,
                        const OutboundAttempt& attempt) = 0;
};

// No history at all: every call is a first call and nothing is remembered. For tools that must
// not write (callmesh-explain without --redis) and tests that do not care.
class NoOutboundHistory final : public OutboundHistory {
 public:
  Result<ContactHistory> read(const std::string&, const std::string&) override {
    return ContactHistory{};
  }
  Status record(const std::string&, const std::string&, const OutboundAttempt&) override {
    return {};
  }
};

}  // namespace callmesh::router
