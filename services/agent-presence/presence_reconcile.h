#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "services/agent-presence/presence_ledger.h"
#include "shared/base/result.h"
#include "shared/redis/redis_client.h"
#include "shared/redis/slot_lease_reader.h"

namespace callmesh::agent_presence {

struct ReconcileReport {
  int64_t live_calls = 0;
  int64_t stale_calls_ended = 0;  // live in Redis but their slot lease is gone: ended now
  int64_t agents_rewritten = 0;
};

// Where reconcile looks for live calls.
enum class ReconcileScope {
  // The numbers' on-call sets: costs what the live calls cost. The periodic run.
  LiveSets,
  // Every call record kept in Redis (ended ones too, for their retention): also finds live calls
  // missing from their number's set. Startup, after a crash.
  AllRecords,
};

// Rebuilds line state from the live calls in Redis: agents' on_call/ringing and the numbers'
// on-call sets (docs/redis-keys.md). Apart from the ledger's Lua transitions because it is a
// sweep over everything, not a transition of one call: a lost `ended` event or a crash mid-update
// leaves counters that no later event would correct.
//
// A call not ended whose slot lease is gone (its ingress died, and the `ended` event with it) and
// that was offered more than `grace_ms` ago is ended through the ledger, so no agent stays stuck
// on a call that no longer exists. The lease is read where the limiter keeps it: under the
// account's key for a number with an account-wide cap (`leases` is built from the same config as
// the limiter); reading the plain number key there ended live calls (issue 15).
class PresenceReconciler {
 public:
  PresenceReconciler(redis::RedisClient& redis, PresenceLedger& ledger,
                     redis::SlotLeaseReader& leases)
      : redis_(redis), ledger_(ledger), leases_(leases) {}

  Result<ReconcileReport> run(int64_t now_ms, int64_t grace_ms,
                              ReconcileScope scope = ReconcileScope::AllRecords);

 private:
  Status tallyChunk(const std::vector<std::string>& ids, int64_t now_ms, int64_t grace_ms,
                    ReconcileReport& report, std::map<std::string, int64_t>& on_call,
                    std::map<std::string, int64_t>& ringing,
                    std::map<std::string, std::set<std::string>>& live);

  redis::RedisClient& redis_;
  PresenceLedger& ledger_;
  redis::SlotLeaseReader& leases_;
};

}  // namespace callmesh::agent_presence
