#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shared/base/result.h"
#include "shared/redis/keys.h"
#include "shared/redis/redis_client.h"
#include "shared/redis/replica_ack.h"

namespace callmesh::notification {

// seed 004_ee4e98a6a7f6781b.txt "Call Notification" / "Text Notification".
enum class NotificationKind { MissedCall, Text, AnsweredCall };
enum class ClaimAction { CallBack, TextBack, CreateContact, AssociateContact };

std::string_view kindName(NotificationKind kind);
std::string_view actionName(ClaimAction action);
std::optional<ClaimAction> parseAction(std::string_view name);

// One follow-up record, as kept in `cm:notif:{<call-id>}` (docs/redis-keys.md).
struct NotificationRecord {
  std::string id;  // the Call-ID: one call gives one notification
  NotificationKind kind = NotificationKind::MissedCall;
  std::string number;                   // the company/tracking number that was called
  std::string caller;                   // the unknown caller's number
  std::vector<std::string> rung;        // agents (or receiving numbers) that were rung
  std::vector<std::string> visible_to;  // agents who see it while unclaimed
  std::string source;                   // the number's Source (seed 004 "Source & Tag")
  std::string tag;                      // the number's Tag
  int64_t at_ms = 0;                    // when the call ended / the text arrived
  bool claimed = false;
  std::string claimed_by;
  std::string claim_action;  // actionName(), or "answered" for an answered-call record
  int64_t claimed_at_ms = 0;
};

// Visibility (seed 004): an unclaimed record is visible to every agent it names; a claimed one
// only to its claimer. An answered-call record is born claimed by the answering agent, so nobody
// else can ever read it.
bool visibleTo(const NotificationRecord& record, const std::string& agent_id);

enum class ClaimOutcome {
  Won,          // this agent claimed it now, or already held it (idempotent retry)
  HeldByOther,  // another agent was first: `holder` names them
  NotFound,     // no such notification, or not one this agent may see
};

struct ClaimResult {
  ClaimOutcome outcome = ClaimOutcome::NotFound;
  std::string holder;
  std::string action;
  bool first = false;  // true when this call made the claim (false on an idempotent retry)
};

// Follow-up records in Redis. Creation is one Lua script that is idempotent on the Call-ID (a
// re-delivered event never makes a second record); a claim is one Lua script, so of any number of
// concurrent claims across API threads and replicas exactly one wins.
// Thread ownership: none of its own; safe from many threads when `redis` is (see
// SerializedRedisClient). Scripts are fully built in the constructor.
class NotificationStore {
 public:
  // `ack`: a record and a winning claim are reported done only once that many replicas have them
  // (redis.replica_acks); otherwise a Timeout error (the event is not acknowledged and comes
  // again; the API answers 503 and the agent retries; both scripts are idempotent).
  explicit NotificationStore(redis::RedisClient& redis, redis::ReplicaAck ack = {});

  // Returns true when this call created the record, false when it already existed.
  Result<bool> record(const NotificationRecord& record);
  Result<ClaimResult> claim(const std::string& id, const std::string& agent_id, ClaimAction action,
                            int64_t at_ms);
  Result<std::optional<NotificationRecord>> get(const std::string& id);
  // Records `agent_id` may see now, newest first, at most `limit`. Withdrawn ones are dropped
  // from the agent's index as they are met.
  Result<std::vector<NotificationRecord>> listForAgent(const std::string& agent_id, size_t limit);
  // Every unclaimed record, newest first (admin view).
  Result<std::vector<NotificationRecord>> listUnclaimed(size_t limit);
  Result<int64_t> unclaimedCount();

  // Names owned by shared/redis/keys.h (notification_keys); kept here for existing callers.
  static std::string recordKey(const std::string& call_id) {
    return redis::notification_keys::record(call_id);
  }
  static std::string agentIndexKey(const std::string& agent_id) {
    return redis::notification_keys::agentIndex(agent_id);
  }
  static constexpr const char* kUnclaimedKey = redis::notification_keys::kUnclaimed;

 private:
  Result<std::vector<NotificationRecord>> load(const std::vector<std::string>& ids);

  redis::RedisClient& redis_;
  redis::ReplicaAck ack_;
  redis::RedisScript record_script_;
  redis::RedisScript claim_script_;
};

}  // namespace callmesh::notification
