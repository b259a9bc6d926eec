#include "services/notification/notification_store.h"

#include <algorithm>

#include "services/notification/stored_hashes.h"
#include "shared/redis/reply_fields.h"

namespace callmesh::notification {

namespace {

// KEYS: record, unclaimed index, then one index per agent who sees it.
// ARGV: call id, kind, number, caller, rung, visible_to, source, tag, at ms, claimed_by, action.
// Idempotent on the Call-ID: the first writer creates it, every later call returns 0.
constexpr const char* kRecordLua = R"lua(
if redis.call('HSETNX', KEYS[1], 'call_id', ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'kind', ARGV[2], 'number', ARGV[3], 'caller', ARGV[4],
           'rung', ARGV[5], 'visible_to', ARGV[6], 'source', ARGV[7], 'tag', ARGV[8],
           'ended_at_ms', ARGV[9])
if ARGV[10] ~= '' then
  redis.call('HSET', KEYS[1], 'state', 'claimed', 'claimed_by', ARGV[10],
             'claim_action', ARGV[11], 'claimed_at_ms', ARGV[9])
else
  redis.call('HSET', KEYS[1], 'state', 'unclaimed')
  redis.call('ZADD', KEYS[2], ARGV[9], ARGV[1])
end
for i = 3, #KEYS do redis.call('ZADD', KEYS[i], ARGV[9], ARGV[1]) end
return 1
)lua";

// KEYS: record, unclaimed index. ARGV: agent, action, at ms.
// Returns {outcome, holder, action}: won | yours | held | hidden | missing. An agent the record
// is not visible to learns nothing about it (not even that it exists).
constexpr const char* kClaimLua = R"lua(
local f = redis.call('HMGET', KEYS[1], 'state', 'claimed_by', 'visible_to', 'claim_action', 'call_id')
if not f[1] then return {'missing', '', ''} end
if f[1] == 'claimed' and f[2] == ARGV[1] then return {'yours', f[2], f[4] or ''} end
local visible = false
for a in string.gmatch(f[3] or '', '[^,]+') do
  if a == ARGV[1] then visible = true end
end
if not visible then return {'hidden', '', ''} end
if f[1] == 'claimed' then return {'held', f[2] or '', f[4] or ''} end
redis.call('HSET', KEYS[1], 'state', 'claimed', 'claimed_by', ARGV[1], 'claim_action', ARGV[2],
           'claimed_at_ms', ARGV[3])
redis.call('ZREM', KEYS[2], f[5])
return {'won', ARGV[1], ARGV[2]}
)lua";

// The names are kindName()'s, so each is written once; anything else (records from before kinds
// existed) is a missed call.
NotificationKind kindFrom(const std::string& s) {
  for (auto k : {NotificationKind::Text, NotificationKind::AnsweredCall}) {
    if (kindName(k) == s) return k;
  }
  return NotificationKind::MissedCall;
}

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
  return std::find(record.visible_to.begin(), record.visible_to.end(), agent_id) !=
         record.visible_to.end();
}

NotificationStore::NotificationStore(redis::RedisClient& redis, redis::ReplicaAck ack)
    : redis_(redis), ack_(ack) {
  record_script_.body = kRecordLua;
  claim_script_.body = kClaimLua;
}

Result<bool> NotificationStore::record(const NotificationRecord& r) {
  std::vector<std::string> keys{recordKey(r.id), kUnclaimedKey};
  for (const auto& a : r.visible_to) keys.push_back(agentIndexKey(a));
  auto reply = redis::evalScriptReplicated(
      redis_, record_script_, keys,
      {r.id, std::string(kindName(r.kind)), r.number, r.caller, redis::joinList(r.rung),
       redis::joinList(r.visible_to), r.source, r.tag, std::to_string(r.at_ms),
       r.claimed ? r.claimed_by : std::string(), r.claimed ? r.claim_action : std::string()},
      ack_);
  if (!reply.ok()) return reply.error();
  if (reply->type != redis::RedisReply::Type::Integer) {
    return Error{ErrorKind::Internal, reply->text, "notification record"};
  }
  return reply->integer == 1;
}

Result<ClaimResult> NotificationStore::claim(const std::string& id, const std::string& agent_id,
                                             ClaimAction action, int64_t at_ms) {
  // Replicated before it is reported: a claim acknowledged to an agent must survive a failover,
  // or a second agent could win the same missed call on the new primary.
  auto reply = redis::evalScriptReplicated(
      redis_, claim_script_, {recordKey(id), kUnclaimedKey},
      {agent_id, std::string(actionName(action)), std::to_string(at_ms)}, ack_);
  if (!reply.ok()) return reply.error();
  if (reply->type != redis::RedisReply::Type::Array || reply->elements.size() != 3) {
    return Error{ErrorKind::Internal, "unexpected claim reply: " + reply->text, "claim " + id};
  }
  const std::string& what = reply->elements[0].text;
  ClaimResult out;
  out.holder = reply->elements[1].text;
  out.action = reply->elements[2].text;
  if (what == "won" || what == "yours") {
    out.outcome = ClaimOutcome::Won;
    out.first = what == "won";
  } else if (what == "held") {
    out.outcome = ClaimOutcome::HeldByOther;
  } else {
    out.outcome = ClaimOutcome::NotFound;
    out.holder.clear();
    out.action.clear();
  }
  return out;
}

Result<std::vector<NotificationRecord>> NotificationStore::load(
    const std::vector<std::string>& ids) {
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const auto& id : ids) keys.push_back(recordKey(id));
  std::vector<NotificationRecord> out;
  auto st = forEachStoredHash(redis_, keys, [&](size_t i, const redis::RedisReply& hash) {
    NotificationRecord r;
    r.id = ids[i];
    forEachField(hash, [&r](const std::string& f, const std::string& v) {
      if (f == "kind")
        r.kind = kindFrom(v);
      else if (f == "number")
        r.number = v;
      else if (f == "caller")
        r.caller = v;
      else if (f == "rung")
        r.rung = redis::splitList(v);
      else if (f == "visible_to")
        r.visible_to = redis::splitList(v);
      else if (f == "source")
        r.source = v;
      else if (f == "tag")
        r.tag = v;
      else if (f == "ended_at_ms")
        r.at_ms = redis::fieldInt(v);
      else if (f == "state")
        r.claimed = v == "claimed";
      else if (f == "claimed_by")
        r.claimed_by = v;
      else if (f == "claim_action")
        r.claim_action = v;
      else if (f == "claimed_at_ms")
        r.claimed_at_ms = redis::fieldInt(v);
    });
    // Records written before `visible_to` existed named their agents in `rung`.
    if (r.visible_to.empty() && !r.claimed) r.visible_to = r.rung;
    out.push_back(std::move(r));
  });
  if (!st.ok()) return st.error();
  return out;
}

Result<std::optional<NotificationRecord>> NotificationStore::get(const std::string& id) {
  return firstLoaded(load({id}));
}

Result<std::vector<NotificationRecord>> NotificationStore::listForAgent(const std::string& agent_id,
                                                                        size_t limit) {
  std::string index = agentIndexKey(agent_id);
  auto ids = redis_.command({"ZREVRANGE", index, "0", std::to_string(limit * 2 + 50)});
  if (!ids.ok()) return ids.error();
  std::vector<std::string> list;
  for (const auto& e : ids->elements) list.push_back(e.text);
  auto loaded = load(list);
  if (!loaded.ok()) return loaded.error();
  std::vector<NotificationRecord> out;
  std::vector<std::string> withdrawn;
  for (auto& r : *loaded) {
    if (!visibleTo(r, agent_id)) {
      withdrawn.push_back(r.id);
      continue;
    }
    if (out.size() < limit) out.push_back(std::move(r));
  }
  if (!withdrawn.empty()) {
    std::vector<std::string> cmd{"ZREM", index};
    cmd.insert(cmd.end(), withdrawn.begin(), withdrawn.end());
    (void)redis_.command(cmd);  // housekeeping only; the filter above already hid them
  }
  return out;
}

Result<std::vector<NotificationRecord>> NotificationStore::listUnclaimed(size_t limit) {
  auto ids = redis_.command({"ZREVRANGE", kUnclaimedKey, "0", std::to_string(limit - 1)});
  if (!ids.ok()) return ids.error();
  std::vector<std::string> list;
  for (const auto& e : ids->elements) list.push_back(e.text);
  return load(list);
}

Result<int64_t> NotificationStore::unclaimedCount() {
  auto r = redis_.command({"ZCARD", kUnclaimedKey});
  if (!r.ok()) return r.error();
  return r->integer;
}

}  // namespace callmesh::notification
