#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/base/result.h"

namespace callmesh::router {

// A CRM contact (seed 004) or lead (seed 001) whose phone number matched the caller.
struct Contact {
  std::string id;
  std::string primary_agent_id;  // the agent the contact/lead is assigned to; empty = nobody
  int64_t created_at_ms = 0;     // picks the newest contact when duplicates disagree (seed 004)
};

// The seam to the CRM store (RedisContactDirectory in the router). Called on the router's loop
// thread; a failure (store unreachable) comes back as an Error and the planner routes the caller as
// unknown.
class ContactDirectory {
 public:
  virtual ~ContactDirectory() = default;
  // Every contact whose phone number is `e164`, in any order.
  virtual Result<std::vector<Contact>> contactsWithNumber(const std::string& e164) const = 0;
};

// Every caller unknown. callmesh-explain uses it when not given --redis.
class NoContacts final : public ContactDirectory {
 public:
  Result<std::vector<Contact>> contactsWithNumber(const std::string&) const override {
    return std::vector<Contact>{};
  }
};

}  // namespace callmesh::router
