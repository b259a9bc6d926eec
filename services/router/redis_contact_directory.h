#pragma once

#include <string>
#include <vector>

#include "services/router/contact_directory.h"
#include "services/router/redis_retry_gate.h"
#include "services/router/router_metrics.h"
#include "shared/redis/redis_client.h"

namespace callmesh::router {

// ContactDirectory over the CRM keys written by notification's HTTP API (docs/redis-keys.md; the
// names come from their owner, redis::notification_keys):
//
//   cm:contacts:number:{<e164>}  set of contact ids having that number
//   cm:contact:{<contact-id>}    hash: id, primary_agent, created_at_ms, ...
//
// One SMEMBERS, then one pipelined HMGET per contact: two round trips per lookup. An id in the
// set whose hash is gone (deleted contact, index not yet cleaned) is skipped.
//
// A Redis failure (or the gate shut after a recent one) returns an Error, and the planner routes
// the caller as unknown (contact_directory.h); `counters.unreachable` counts it. A
// `created_at_ms` that is not an integer reads as 0 and counts in `counters.bad_data`.
// `redis`, `gate` and `counters` are borrowed; everything runs on the router's loop thread.
class RedisContactDirectory final : public ContactDirectory {
 public:
  RedisContactDirectory(redis::RedisClient& redis, RedisRetryGate& gate,
                        DirectoryErrorCounters counters)
      : redis_(redis), gate_(gate), counters_(counters) {}

  Result<std::vector<Contact>> contactsWithNumber(const std::string& e164) const override;

 private:
  Error unreachable(Error e) const;

  redis::RedisClient& redis_;
  RedisRetryGate& gate_;
  DirectoryErrorCounters counters_;
};

}  // namespace callmesh::router
