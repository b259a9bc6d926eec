#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "services/notification/webhook_outbox.h"
#include "shared/base/result.h"
#include "shared/config/cluster_config.h"
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

// Visibility (seed 004_ee4e98a6a7f6781b.txt, as issue 17 reads it): an unclaimed missed call from
// an unknown caller is seen by every user of the account ("all users can see the record of the
// missed call"); an unclaimed text by the agents it was routed to ("visible for all of them until
// anyone takes a claim action"); a claimed or answered record only by its holder.
bool visibleTo(const NotificationRecord& record, const std::string& agent_id);
// Who may act on (claim) it: the selected / routed agents (`visible_to`) while unclaimed
// ("Any selected agents can make further operations"), the holder afterwards.
bool mayClaim(const NotificationRecord& record, const std::string& agent_id);

enum class ClaimOutcome {
  Won,          // this agent claimed it now, or already held it (idempotent retry)
  HeldByOther,  // another agent was first: `holder` names them
  NotFound,     // no such notification, or not one this agent may see
  NotSelected,  // an unclaimed missed call this agent sees but was not selected to act on
};

struct ClaimResult {
  ClaimOutcome outcome = ClaimOutcome::NotFound;
  std::string holder;
  std::string action;
  bool first = false;  // true when this call made the claim (false on an idempotent retry)
};

// One page of a list and the cursor of the next (empty: the end).
struct RecordPage {
  std::vector<NotificationRecord> records;
  std::string next_cursor;
};

// Which of an agent's lists (GET /v1/notifications?state=, GET /v1/records).
enum class AgentList {
  Open,      // unclaimed records the agent sees (every missed call, texts routed to them)
  Claimed,   // what the agent claimed
  All,       // Open and Claimed together
  Answered,  // the agent's answered calls
};

// Follow-up records in Redis. Creation is one Lua script on the record's key that is idempotent
// on the Call-ID (a re-delivered event never makes a second record); a claim is one Lua script on
// the record's key, so of any number of concurrent claims across API threads and replicas exactly
// one wins. Each script touches one hash slot (Redis Cluster); the indexes follow as idempotent
// commands (the account-wide ones sharded, keys.h kUnclaimedShards).
// Retention (notification.retention): every record hash carries an expiry (unclaimed:
// unclaimed_ms after the call; claimed or answered: handled_ms after the claim), and each index
// it joins is trimmed by score to the same horizon in the same script, so the work per write is
// what has expired since the last write (docs/redis-keys.md). Lists read index entries from the
// cursor on and drop (and remove) entries whose record expired.
// Thread ownership: none of its own; safe from many threads when `redis` is (see
// SerializedRedisClient). Scripts are fully built in the constructor.
class NotificationStore {
 public:
  // `ack`: a record and a winning claim are reported done only once that many replicas have them
  // (redis.replica_acks); otherwise a Timeout error (the event is not acknowledged and comes
  // again; the API answers 503 and the agent retries; both scripts are idempotent).
  explicit NotificationStore(redis::RedisClient& redis,
                             config::RetentionSettings retention = config::RetentionSettings{},
                             redis::ReplicaAck ack = {});

  // Returns true when this call created the record, false when it already existed.
  Result<bool> record(const NotificationRecord& record);
  Result<ClaimResult> claim(const std::string& id, const std::string& agent_id, ClaimAction action,
                            int64_t at_ms);
  Result<std::optional<NotificationRecord>> get(const std::string& id);
  // One page of `agent_id`'s list, newest first, at most `limit` (1..500) after `cursor`
  // (encodeCursor(); empty = the first page). InvalidInput for a malformed cursor.
  Result<RecordPage> listForAgent(const std::string& agent_id, AgentList list,
                                  const std::string& cursor, size_t limit);
  // Every unclaimed record, newest first (admin view).
  Result<RecordPage> listUnclaimed(const std::string& cursor, size_t limit);
  Result<int64_t> unclaimedCount();

  // Names owned by shared/redis/keys.h (notification_keys); kept here for existing callers.
  static std::string recordKey(const std::string& call_id) {
    return redis::notification_keys::record(call_id);
  }

 private:
  Result<std::vector<NotificationRecord>> load(const std::vector<std::string>& ids);
  // Index writes after a record or claim script, each followed by WAIT when replicas must
  // acknowledge (ack_): Timeout when they did not.
  Status updateIndexes(const std::vector<std::vector<std::string>>& writes,
                       const std::string& what);
  // A page across `indexes`; `keep` says whether a loaded record belongs in the list (a record
  // that no longer does, or has expired, is dropped and its entry removed from that index).
  template <typename Keep>
  Result<RecordPage> page(const std::vector<std::string>& indexes, const std::string& cursor,
                          size_t limit, Keep keep);

  redis::RedisClient& redis_;
  config::RetentionSettings retention_;
  redis::ReplicaAck ack_;
  redis::RedisScript record_script_;
  redis::RedisScript claim_script_;
  WebhookOutbox outbox_;  // created and claimed events, queued after their facts
};

}  // namespace callmesh::notification
