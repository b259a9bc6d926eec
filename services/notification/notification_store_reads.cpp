// The read side of the follow-up records: loading records, pages by cursor over the indexes, the
// lists of an agent and of the account, and the count of unclaimed records. The writes (record,
// claim, index upkeep) are in notification_store.cpp.
#include <algorithm>
#include <map>

#include "services/notification/notification_pages.h"
#include "services/notification/notification_store.h"
#include "services/notification/stored_hashes.h"
#include "shared/redis/keys.h"
#include "shared/redis/reply_fields.h"

namespace callmesh::notification {

namespace {

// A page reads at most this many entries sharing the cursor's exact score per index (records of
// the same millisecond); far above what one millisecond of calls holds.
constexpr int kMaxTies = 1000;

// The names are kindName()'s, so each is written once; anything else (records from before kinds
// existed) is a missed call.
NotificationKind kindFrom(const std::string& s) {
  for (auto k : {NotificationKind::Text, NotificationKind::AnsweredCall}) {
    if (kindName(k) == s) return k;
  }
  return NotificationKind::MissedCall;
}

}  // namespace

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

template <typename Keep>
Result<RecordPage> NotificationStore::page(const std::vector<std::string>& indexes,
                                           const std::string& cursor_text, size_t limit,
                                           Keep keep) {
  std::optional<PageCursor> cursor;
  if (!cursor_text.empty()) {
    cursor = decodeCursor(cursor_text);
    if (!cursor) {
      return Error{ErrorKind::InvalidInput, "not a cursor this API gave (next_cursor)", "cursor"};
    }
  }
  // Per index: the entries tied with the cursor's score, then `limit` older ones.
  std::vector<std::vector<std::string>> cmds;
  for (const auto& key : indexes) {
    std::string limit_text = std::to_string(limit);
    if (cursor) {
      std::string at = std::to_string(cursor->score);
      cmds.push_back(
          {"ZREVRANGEBYSCORE", key, at, at, "WITHSCORES", "LIMIT", "0", std::to_string(kMaxTies)});
      cmds.push_back(
          {"ZREVRANGEBYSCORE", key, "(" + at, "-inf", "WITHSCORES", "LIMIT", "0", limit_text});
    } else {
      cmds.push_back(
          {"ZREVRANGEBYSCORE", key, "+inf", "-inf", "WITHSCORES", "LIMIT", "0", limit_text});
    }
  }
  auto replies = redis_.pipeline(cmds);
  if (!replies.ok()) return replies.error();
  std::vector<IndexEntry> candidates;
  size_t per_index = cursor ? 2 : 1;
  for (size_t i = 0; i < replies->size(); ++i) {
    const auto& rep = (*replies)[i];
    if (rep.type == redis::RedisReply::Type::Error) {
      return Error{ErrorKind::Internal, rep.text, indexes[i / per_index]};
    }
    for (size_t k = 0; k + 1 < rep.elements.size(); k += 2) {
      candidates.push_back(IndexEntry{redis::fieldInt(rep.elements[k + 1].text),
                                      rep.elements[k].text, i / per_index});
    }
  }
  auto merged = mergePage(std::move(candidates), cursor, limit);
  std::vector<std::string> ids;
  for (const auto& e : merged.entries) ids.push_back(e.id);
  auto loaded = load(ids);
  if (!loaded.ok()) return loaded.error();
  std::map<std::string, NotificationRecord> by_id;
  for (auto& r : *loaded) by_id.emplace(r.id, std::move(r));
  RecordPage out;
  std::vector<std::vector<std::string>> stale;
  for (const auto& e : merged.entries) {
    auto it = by_id.find(e.id);
    if (it != by_id.end() && keep(it->second, e.index)) {
      out.records.push_back(std::move(it->second));
    } else {
      stale.push_back({"ZREM", indexes[e.index], e.id});
    }
  }
  if (!stale.empty()) (void)redis_.pipeline(stale);  // housekeeping; the filter already hid them
  if (merged.more) {
    const auto& last = merged.entries.back();
    out.next_cursor = encodeCursor(PageCursor{last.score, last.id});
  }
  return out;
}

Result<RecordPage> NotificationStore::listForAgent(const std::string& agent_id, AgentList list,
                                                   const std::string& cursor, size_t limit) {
  namespace nk = redis::notification_keys;
  std::vector<std::string> indexes;
  if (list == AgentList::Answered) {
    indexes = {nk::agentAnswered(agent_id)};
  } else {
    if (list != AgentList::Claimed) {
      indexes = nk::allUnclaimedMissedShards();
      indexes.push_back(nk::agentUnclaimed(agent_id));
    }
    if (list != AgentList::Open) indexes.push_back(nk::agentClaimed(agent_id));
  }
  return page(indexes, cursor, limit, [&](const NotificationRecord& r, size_t) {
    if (!visibleTo(r, agent_id)) return false;
    bool answered = r.kind == NotificationKind::AnsweredCall;
    return list == AgentList::Answered ? answered : !answered;
  });
}

Result<RecordPage> NotificationStore::listUnclaimed(const std::string& cursor, size_t limit) {
  return page(redis::notification_keys::allUnclaimedShards(), cursor, limit,
              [](const NotificationRecord& r, size_t) { return !r.claimed; });
}

Result<int64_t> NotificationStore::unclaimedCount() {
  std::vector<std::vector<std::string>> cmds;
  for (const auto& shard : redis::notification_keys::allUnclaimedShards()) {
    cmds.push_back({"ZCARD", shard});
  }
  auto replies = redis_.pipeline(cmds);
  if (!replies.ok()) return replies.error();
  int64_t total = 0;
  for (const auto& r : *replies) {
    if (r.type == redis::RedisReply::Type::Error) {
      return Error{ErrorKind::Internal, r.text, "unclaimed count"};
    }
    total += r.integer;
  }
  return total;
}

}  // namespace callmesh::notification
