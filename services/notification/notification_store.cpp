#include "services/notification/notification_store.h"

#include <algorithm>
#include <map>

#include "services/notification/api_json.h"
#include "services/notification/notification_pages.h"
#include "services/notification/stored_hashes.h"
#include "services/notification/webhook_outbox.h"
#include "shared/redis/reply_fields.h"

namespace callmesh::notification {

namespace {

// Each script touches the record's own key alone, so it runs on Redis Cluster (one hash slot);
// the indexes it joins or leaves are updated after it by plain commands, which are idempotent
// (ZADD of the same score, ZREM), so a retry after a lost reply repairs them
// (docs/redis-cluster.md). A list read drops entries whose record no longer belongs there.

// KEYS: record. ARGV: call id, kind, number, caller, rung, visible_to, source, tag, at ms,
//       claimed_by, action, expire-at ms.
// Idempotent on the Call-ID: the first writer creates it. Returns {created (1/0), state}.
constexpr const char* kRecordLua = R"lua(
if redis.call('HSETNX', KEYS[1], 'call_id', ARGV[1]) == 0 then
  return {0, redis.call('HGET', KEYS[1], 'state') or ''}
end
redis.call('HSET', KEYS[1], 'kind', ARGV[2], 'number', ARGV[3], 'caller', ARGV[4],
           'rung', ARGV[5], 'visible_to', ARGV[6], 'source', ARGV[7], 'tag', ARGV[8],
           'ended_at_ms', ARGV[9])
local state = 'unclaimed'
if ARGV[10] ~= '' then
  state = 'claimed'
  redis.call('HSET', KEYS[1], 'state', state, 'claimed_by', ARGV[10],
             'claim_action', ARGV[11], 'claimed_at_ms', ARGV[9])
else
  redis.call('HSET', KEYS[1], 'state', state)
end
redis.call('PEXPIREAT', KEYS[1], ARGV[12])
return {1, state}
)lua";

// KEYS: record. ARGV: agent, action, at ms, expire-at ms.
// Returns {outcome, holder, action, claimed at ms}: won | yours | held | forbidden | hidden |
// missing. An agent the record is hidden from learns nothing about it (not even that it exists);
// `forbidden` is an unclaimed missed call every user sees but only the selected agents may act on.
constexpr const char* kClaimLua = R"lua(
local f = redis.call('HMGET', KEYS[1], 'state', 'claimed_by', 'visible_to', 'claim_action',
                     'call_id', 'kind', 'claimed_at_ms')
if not f[1] then return {'missing', '', '', ''} end
if f[1] == 'claimed' and f[2] == ARGV[1] then return {'yours', f[2], f[4] or '', f[7] or ''} end
local selected = false
for a in string.gmatch(f[3] or '', '[^,]+') do
  if a == ARGV[1] then selected = true end
end
if not selected then
  if f[1] ~= 'claimed' and (f[6] or 'missed_call') == 'missed_call' then
    return {'forbidden', '', '', ''}
  end
  return {'hidden', '', '', ''}
end
if f[1] == 'claimed' then return {'held', f[2] or '', f[4] or '', ''} end
redis.call('HSET', KEYS[1], 'state', 'claimed', 'claimed_by', ARGV[1], 'claim_action', ARGV[2],
           'claimed_at_ms', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return {'won', ARGV[1], ARGV[2], ARGV[3]}
)lua";

}  // namespace

std::string_view kindName(NotificationKind kind) {
  switch (kind) {
    case NotificationKind::MissedCall:
      return "missed_call";
    case NotificationKind::Text:
      return "text";
    case NotificationKind::AnsweredCall:
      return "answered_call";
  }
  return "missed_call";
}

std::string_view actionName(ClaimAction action) {
  switch (action) {
    case ClaimAction::CallBack:
      return "call_back";
    case ClaimAction::TextBack:
      return "text_back";
    case ClaimAction::CreateContact:
      return "create_contact";
    case ClaimAction::AssociateContact:
      return "associate_contact";
  }
  return "call_back";
}

std::optional<ClaimAction> parseAction(std::string_view name) {
  for (auto a : {ClaimAction::CallBack, ClaimAction::TextBack, ClaimAction::CreateContact,
                 ClaimAction::AssociateContact}) {
    if (actionName(a) == name) return a;
  }
  return std::nullopt;
}

bool visibleTo(const NotificationRecord& record, const std::string& agent_id) {
  if (agent_id.empty()) return false;
  if (record.claimed) return record.claimed_by == agent_id;
  if (record.kind == NotificationKind::MissedCall) return true;
  return std::find(record.visible_to.begin(), record.visible_to.end(), agent_id) !=
         record.visible_to.end();
}

bool mayClaim(const NotificationRecord& record, const std::string& agent_id) {
  if (agent_id.empty()) return false;
  if (record.claimed) return record.claimed_by == agent_id;
  return std::find(record.visible_to.begin(), record.visible_to.end(), agent_id) !=
         record.visible_to.end();
}

NotificationStore::NotificationStore(redis::RedisClient& redis, config::RetentionSettings retention,
                                     redis::ReplicaAck ack)
    : redis_(redis), retention_(retention), ack_(ack), outbox_(redis, ack) {
  record_script_.body = kRecordLua;
  claim_script_.body = kClaimLua;
}

Status NotificationStore::updateIndexes(const std::vector<std::vector<std::string>>& writes,
                                        const std::string& what) {
  if (writes.empty()) return {};
  // Each index is its own key (its own slot on Redis Cluster): its writes, then a WAIT that the
  // cluster client sends to the same node, so every index is as durable as the record.
  std::vector<std::vector<std::string>> cmds;
  std::vector<bool> is_wait;
  for (const auto& w : writes) {
    cmds.push_back(w);
    is_wait.push_back(false);
    if (ack_.replicas > 0) {
      cmds.push_back({"WAIT", std::to_string(ack_.replicas), std::to_string(ack_.timeout_ms)});
      is_wait.push_back(true);
    }
  }
  auto replies = redis_.pipeline(cmds);
  if (!replies.ok()) return replies.error();
  for (size_t i = 0; i < replies->size(); ++i) {
    const auto& r = (*replies)[i];
    if (r.type == redis::RedisReply::Type::Error) return Error{ErrorKind::Internal, r.text, what};
    if (is_wait[i] && r.integer < ack_.replicas) {
      return Error{ErrorKind::Timeout,
                   "index written but confirmed by " + std::to_string(r.integer) + " of " +
                       std::to_string(ack_.replicas) + " replicas; retry",
                   what};
    }
  }
  return {};
}

Result<bool> NotificationStore::record(const NotificationRecord& r) {
  namespace nk = redis::notification_keys;
  // The record's own time is "now" for trimming: it needs no clock, and a re-delivered old
  // event only trims less.
  int64_t keep = r.claimed ? retention_.handled_ms : retention_.unclaimed_ms;
  auto reply = redis::evalScriptReplicated(
      redis_, record_script_, {recordKey(r.id)},
      {r.id, std::string(kindName(r.kind)), r.number, r.caller, redis::joinList(r.rung),
       redis::joinList(r.visible_to), r.source, r.tag, std::to_string(r.at_ms),
       r.claimed ? r.claimed_by : std::string(), r.claimed ? r.claim_action : std::string(),
       std::to_string(r.at_ms + keep)},
      ack_);
  if (!reply.ok()) return reply.error();
  if (reply->type != redis::RedisReply::Type::Array || reply->elements.size() != 2) {
    return Error{ErrorKind::Internal, reply->text, "notification record"};
  }
  bool created = reply->elements[0].integer == 1;
  const std::string& state = reply->elements[1].text;
  // Joined even when the record already existed (a redelivery after a lost reply): ZADD of the
  // same score changes nothing when the first attempt got there. A record claimed meanwhile
  // joins no unclaimed index.
  const std::string score = std::to_string(r.at_ms);
  const std::string horizon = "(" + std::to_string(r.at_ms - keep);
  std::vector<std::vector<std::string>> writes;
  // Every index written joins its trim ledger (index_trim.h), so an index nobody writes again
  // (an idle agent's) is still trimmed by the periodic pass.
  auto index = [&](const std::string& key, const char* ledger) {
    writes.push_back({"ZADD", key, score, r.id});
    writes.push_back({"ZREMRANGEBYSCORE", key, "-inf", horizon});
    writes.push_back({"ZADD", ledger, score, key});
  };
  if (r.claimed) {
    if (state == "claimed") index(nk::agentAnswered(r.claimed_by), nk::kTrimLedgerHandled);
  } else if (state == "unclaimed") {
    index(nk::unclaimedOf(r.id), nk::kTrimLedgerUnclaimed);
    if (r.kind == NotificationKind::MissedCall) {
      index(nk::unclaimedMissedOf(r.id), nk::kTrimLedgerUnclaimed);
    }
    if (r.kind == NotificationKind::Text) {
      for (const auto& a : r.visible_to) index(nk::agentUnclaimed(a), nk::kTrimLedgerUnclaimed);
    }
  }
  if (auto st = updateIndexes(writes, "notification record " + r.id); !st.ok()) return st.error();
  // notification.created for webhooks, after the record (its own slot; the outbox is in
  // `{webhooks}`). Also when the record existed: a redelivery after a crash between the two
  // queues it then, and the queue's marker keeps a second one out (webhook_outbox.h).
  if (auto st =
          outbox_.queue({makeWebhookEvent("notification.created", r.id, r.at_ms, recordJson(r))},
                        "notification record " + r.id);
      !st.ok()) {
    return st.error();
  }
  return created;
}

Result<ClaimResult> NotificationStore::claim(const std::string& id, const std::string& agent_id,
                                             ClaimAction action, int64_t at_ms) {
  // Replicated before it is reported: a claim acknowledged to an agent must survive a failover,
  // or a second agent could win the same missed call on the new primary.
  namespace nk = redis::notification_keys;
  auto reply =
      redis::evalScriptReplicated(redis_, claim_script_, {recordKey(id)},
                                  {agent_id, std::string(actionName(action)), std::to_string(at_ms),
                                   std::to_string(at_ms + retention_.handled_ms)},
                                  ack_);
  if (!reply.ok()) return reply.error();
  if (reply->type != redis::RedisReply::Type::Array || reply->elements.size() != 4) {
    return Error{ErrorKind::Internal, "unexpected claim reply: " + reply->text, "claim " + id};
  }
  const std::string& what = reply->elements[0].text;
  ClaimResult out;
  out.holder = reply->elements[1].text;
  out.action = reply->elements[2].text;
  if (what == "won" || what == "yours") {
    out.outcome = ClaimOutcome::Won;
    out.first = what == "won";
    // Out of the unclaimed indexes, into the claimer's. Also on `yours`: an agent retrying
    // after a lost reply repairs what the first attempt did not reach.
    auto routed = redis_.command({"HGET", recordKey(id), "visible_to"});
    if (!routed.ok()) return routed.error();
    std::string claimed_at =
        reply->elements[3].text.empty() ? std::to_string(at_ms) : reply->elements[3].text;
    std::vector<std::vector<std::string>> writes{{"ZREM", nk::unclaimedOf(id), id},
                                                 {"ZREM", nk::unclaimedMissedOf(id), id}};
    for (const auto& a : redis::splitList(routed->text)) {
      writes.push_back({"ZREM", nk::agentUnclaimed(a), id});
    }
    writes.push_back({"ZADD", nk::agentClaimed(agent_id), claimed_at, id});
    writes.push_back({"ZREMRANGEBYSCORE", nk::agentClaimed(agent_id), "-inf",
                      "(" + std::to_string(at_ms - retention_.handled_ms)});
    writes.push_back({"ZADD", nk::kTrimLedgerHandled, claimed_at, nk::agentClaimed(agent_id)});
    if (auto st = updateIndexes(writes, "claim " + id); !st.ok()) return st.error();
    // notification.claimed for webhooks, after the claim (see record()): a `yours` retry queues
    // what a crash after the winning script left unqueued, and nothing twice.
    nlohmann::json claimed = {{"notification_id", id},
                              {"claimed_by", agent_id},
                              {"action", out.action},
                              {"claimed_at_ms", redis::fieldInt(claimed_at)}};
    if (auto st = outbox_.queue(
            {makeWebhookEvent("notification.claimed", id, redis::fieldInt(claimed_at), claimed)},
            "claim " + id);
        !st.ok()) {
      return st.error();
    }
  } else if (what == "held") {
    out.outcome = ClaimOutcome::HeldByOther;
  } else {
    out.outcome = what == "forbidden" ? ClaimOutcome::NotSelected : ClaimOutcome::NotFound;
    out.holder.clear();
    out.action.clear();
  }
  return out;
}

}  // namespace callmesh::notification
