#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "services/concurrency-limiter/cap_policy.h"
#include "shared/base/result.h"
#include "shared/redis/redis_client.h"

namespace callmesh::concurrency_limiter {

struct SlotState {
  bool granted = false;
  int64_t in_use = 0;
  int64_t cap = 0;
  int64_t released = 0;  // of the slots given back first, how many were held
};

struct SlotRef {
  std::string number;
  std::string call_id;
};

// One acquire of a batch (SlotLedger::acquireMany): the call, and the slots to free before it.
struct AcquireAsk {
  std::string number;
  std::string call_id;
  std::vector<SlotRef> release_first;
};

// Leased call slots per number, held in Redis so every limiter replica agrees.
//
// Layout: one sorted set per number, `cm:{<number>}:slots`, member = Call-ID, score = lease
// expiry in Redis server milliseconds. The braces are a Redis Cluster hash tag: all of one
// number's state lives in one slot. A number that belongs to an account with an account-wide
// cap lives under the account's tag instead, `cm:{acct:<id>}:slots:<number>`, beside the
// account's own set `cm:{acct:<id>}:slots`, so one script checks and takes both atomically. Every
// mutation is one Lua script, so check-and-add is atomic across replicas, and expired leases are
// purged before counting: a slot whose holder crashed frees itself when its lease runs out, and the
// key itself expires with the last lease. Redis's own clock is used, so limiter hosts need not
// agree on time.
class SlotLedger {
 public:
  SlotLedger(redis::RedisClient& redis, const CapPolicy& caps, int64_t lease_ms)
      : redis_(redis), caps_(caps), lease_ms_(lease_ms) {}

  // Takes a slot for call_id if the number is under its cap. Idempotent: a call that already
  // holds a slot keeps it (and its lease is extended). `release_first` are freed before the cap
  // is checked, in the same Redis round trip: the slots of calls that ended before this caller
  // arrived never count against it. On an error neither is known to have happened.
  Result<SlotState> acquire(const std::string& number, const std::string& call_id,
                            const std::vector<SlotRef>& release_first = {});
  // Several acquires in one Redis round trip (slot_ledger_batch.cpp), each decided exactly as
  // acquire() decides it and in the given order: an ask's releases, then its script, then the
  // next ask's. The limiter serves the requests that queued up while it waited on Redis this way,
  // so under load an acquire costs a share of a round trip instead of a whole one. The outer
  // error is the round trip's (none of the asks is known to have happened); an ask whose own
  // reply was wrong gets its own error.
  Result<std::vector<Result<SlotState>>> acquireMany(const std::vector<AcquireAsk>& asks);
  // Extends leases of live calls; returns how many were still held. Never re-creates a slot
  // that expired (it may have been given to another call since), except with `readopt`: right
  // after a failover (FailoverHold), when new calls are refused, a live call's missing lease was
  // lost with the old primary and is added back, so the count is whole before admissions resume.
  // `readopted` (optional) gets how many were added back. One script per number (and account),
  // pipelined kRenewScriptsPerRoundTrip at a time.
  Result<int64_t> renew(const std::vector<SlotRef>& slots, bool readopt = false,
                        int64_t* readopted = nullptr);
  // Frees call_id's slot. Idempotent; only ever removes call_id itself.
  Result<bool> release(const std::string& number, const std::string& call_id);
  // Frees several calls' slots in one Redis round trip; returns how many were held.
  Result<int64_t> release(const std::vector<SlotRef>& slots);
  // Live (unexpired) slots on the number.
  Result<SlotState> usage(const std::string& number);

  // Scripts per pipelined round trip of a renewal. A renew request is under 256 KiB (the frame
  // limit), so its calls' ids fit one chunk's buffers whatever the count of numbers.
  static constexpr size_t kRenewScriptsPerRoundTrip = 256;

  int64_t leaseMs() const { return lease_ms_; }
  // The key of the number's slots (depends on its account, if any).
  std::string slotsKey(const std::string& number) const;
  static std::string accountKey(const std::string& account_id);

 private:
  redis::RedisClient& redis_;
  const CapPolicy& caps_;
  int64_t lease_ms_;
  // ZREMs freeing `slots` (number and account sets); `counts[i]` marks the number-set replies.
  void appendReleases(const std::vector<SlotRef>& slots,
                      std::vector<std::vector<std::string>>& commands,
                      std::vector<bool>& counts) const;
  // The script, keys and arguments of one acquire (shared by acquire and acquireMany).
  struct AcquireCommand {
    redis::RedisScript* script;
    std::vector<std::string> keys;
    std::vector<std::string> args;
    int cap;
  };
  AcquireCommand acquireCommand(const std::string& number, const std::string& call_id);
  static Result<SlotState> grantOf(const redis::RedisReply& reply, int cap, int64_t released);
  static Error unexpectedReply(const redis::RedisReply& reply, const std::string& op);
  // Consecutive asks on plain numbers decided by one script (slot_ledger_batch.cpp).
  redis::RedisScript& acquireRunScript();
  redis::RedisScript acquire_script_;
  redis::RedisScript acquire_run_script_;
  redis::RedisScript renew_script_;
  redis::RedisScript readopt_script_;
  redis::RedisScript usage_script_;
  redis::RedisScript acquire_in_account_script_;

 public:
  SlotLedger(const SlotLedger&) = delete;
  SlotLedger& operator=(const SlotLedger&) = delete;
};

}  // namespace callmesh::concurrency_limiter
