#include "services/notification/call_record_store.h"

#include <algorithm>
#include <set>

#include "services/notification/notification_pages.h"
#include "services/notification/webhook_outbox.h"
#include "shared/redis/keys.h"
#include "shared/redis/reply_fields.h"

namespace callmesh::notification {

namespace {

using nlohmann::json;
using redis::RedisReply;

// One script call writes a batch of records (an event batch's ends). KEYS: 1 the stream, then
// per record its call key and its indexes (all, outcome, number, each agent); all in the `{cdr}`
// hash slot, so the script runs on Redis Cluster too. ARGV: 1 retention ms, 2 max records, then
// per record: index count, call id, ended-at ms, record JSON, MINID (the call's end less
// retention). Returns per record {1, entry id} when written, {0, entry id} when the call had its
// record already. The webhook events are queued after it (webhook_outbox.h): the outbox is in
// another slot.
// Each index written is trimmed (ZREMRANGEBYSCORE below its newest record's end less retention)
// and given its expiry (PEXPIRE retention) once per batch, after the batch's last write to it,
// and the stream trimmed to max records once: the keys end as they did when each record trimmed
// and expired everything itself (the batch's newest end trims what the others' would have).
// Redis's cost for a script is mostly per redis.call, so each kind of write is gathered too: one
// MGET tells which records exist already (a record twice in one batch is written once), and each
// index gets the batch's members in one ZADD. Per record that leaves its XADD and its SET; per
// index and batch a ZADD, a ZREMRANGEBYSCORE and a PEXPIRE (`one` workload at 500 calls/s: 13
// commands per record at first, 6 with the trims gathered, about 2.5 now).
constexpr const char* kWriteLua = R"lua(
local retention = tonumber(ARGV[1])
local calls = {}
local k, a = 2, 3
while a <= #ARGV do
  calls[#calls + 1] = KEYS[k]
  k, a = k + 1 + tonumber(ARGV[a]), a + 5
end
if #calls == 0 then return {} end
local existing = redis.call('MGET', unpack(calls))
local out, written, newest, members, order = {}, {}, {}, {}, {}
k, a = 2, 3
local r = 0
while a <= #ARGV do
  r = r + 1
  local n, ended = tonumber(ARGV[a]), ARGV[a + 2]
  local id = existing[r] or written[KEYS[k]]
  if id then
    out[#out + 1] = {0, id}
  else
    id = redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[a + 4], '*',
                    'call_id', ARGV[a + 1], 'ended_at_ms', ended, 'record', ARGV[a + 3])
    redis.call('SET', KEYS[k], id, 'PX', retention)
    written[KEYS[k]] = id
    local at = tonumber(ended)
    for i = k + 1, k + n do
      local index = KEYS[i]
      local m = members[index]
      if not m then
        m = {}
        members[index] = m
        order[#order + 1] = index
      end
      m[#m + 1] = ended
      m[#m + 1] = id
      if not newest[index] or at > newest[index] then newest[index] = at end
    end
    out[#out + 1] = {1, id}
  end
  k, a = k + 1 + n, a + 5
end
if #order > 0 then redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[2]) end
for _, index in ipairs(order) do
  redis.call('ZADD', index, unpack(members[index]))
  redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. (newest[index] - retention))
  redis.call('PEXPIRE', index, retention)
end
return out
)lua";

// Records per script call at most: bounds how long one call holds Redis (a backlog replayed
// after an outage goes as several calls in one pipeline).
constexpr size_t kRecordsPerScriptCall = 200;

// Entries examined per page at most (a filter that matches little still answers promptly).
constexpr size_t kMaxScanPerPage = 5000;
constexpr int kMaxTies = 1000;

std::string indexFor(const CallRecordFilter& f) {
  namespace rk = redis::record_keys;
  if (!f.number.empty()) return rk::byNumber(f.number);
  if (!f.agent.empty()) return rk::byAgent(f.agent);
  if (!f.outcome.empty()) return rk::byOutcome(f.outcome);
  return rk::kByTime;
}

bool matches(const json& r, const CallRecordFilter& f) {
  if (!f.number.empty() && r.value("number", "") != f.number) return false;
  if (!f.outcome.empty() && r.value("outcome", "") != f.outcome) return false;
  if (!f.agent.empty()) {
    bool rung = false;
    for (const auto& leg : r.value("legs", json::array())) {
      if (leg.value("agent_id", "") == f.agent) rung = true;
    }
    if (!rung) return false;
  }
  int64_t at = r.value("ended_at_ms", int64_t{0});
  if (f.from_ms && at < f.from_ms) return false;
  if (f.to_ms && at > f.to_ms) return false;
  return true;
}

// The `record` field of one XRANGE reply ([[id, [field, value, ...]]]), parsed; nullopt when the
// entry is gone (trimmed) or unreadable.
std::optional<json> recordOf(const RedisReply& xrange) {
  if (xrange.type != RedisReply::Type::Array || xrange.elements.empty()) return std::nullopt;
  const auto& entry = xrange.elements[0];
  if (entry.elements.size() != 2) return std::nullopt;
  const auto& fields = entry.elements[1].elements;
  for (size_t k = 0; k + 1 < fields.size(); k += 2) {
    if (fields[k].text == "record") {
      json j = json::parse(fields[k + 1].text, nullptr, false);
      if (j.is_discarded() || !j.is_object()) return std::nullopt;
      return j;
    }
  }
  return std::nullopt;
}

}  // namespace

CallRecordStore::CallRecordStore(redis::RedisClient& redis, config::CallRecordSettings settings,
                                 redis::ReplicaAck ack)
    : redis_(redis), settings_(settings), ack_(ack), outbox_(redis, ack) {
  write_script_.body = kWriteLua;
}

void CallRecordStore::appendRecord(const CallRecord& r, redis::ScriptCall& call,
                                   std::vector<WebhookEvent>& events) {
  namespace rk = redis::record_keys;
  std::vector<std::string> indexes{rk::kByTime, rk::byOutcome(r.outcome)};
  if (!r.number.empty()) indexes.push_back(rk::byNumber(r.number));
  std::set<std::string> agents;
  for (const auto& leg : r.legs) {
    if (!leg.agent_id.empty()) agents.insert(leg.agent_id);
  }
  for (const auto& a : agents) indexes.push_back(rk::byAgent(a));
  std::string record = callRecordText(r);
  int64_t minid = std::max<int64_t>(0, r.ended_at_ms - settings_.retention_ms);
  call.keys.push_back(rk::call(r.call_id));
  call.keys.insert(call.keys.end(), indexes.begin(), indexes.end());
  // The webhook events right after the record, also when it existed already: a redelivered end
  // after a crash between the two queues them then, and never twice (webhook_outbox.h).
  events.push_back(makeWebhookEventText("call.ended", r.call_id, r.ended_at_ms, record));
  if (isMissedCall(r)) {
    events.push_back(makeWebhookEventText("call.missed", r.call_id, r.ended_at_ms, record));
  }
  call.args.insert(call.args.end(),
                   {std::to_string(indexes.size()), r.call_id, std::to_string(r.ended_at_ms),
                    std::move(record), std::to_string(minid) + "-0"});
}

Result<bool> CallRecordStore::write(const CallRecord& r) {
  auto written = writeMany({r});
  if (!written.ok()) return written.error();
  return static_cast<bool>(written->front());
}

Result<std::vector<bool>> CallRecordStore::writeMany(const std::vector<CallRecord>& records) {
  // One record script call and one outbox call per kRecordsPerScriptCall records.
  std::vector<redis::ScriptCall> writes;
  std::vector<redis::ScriptCall> queues;
  for (size_t from = 0; from < records.size(); from += kRecordsPerScriptCall) {
    redis::ScriptCall call{
        &write_script_,
        {redis::record_keys::kStream},
        {std::to_string(settings_.retention_ms), std::to_string(settings_.max_records)}};
    std::vector<WebhookEvent> events;
    for (size_t i = from; i < std::min(records.size(), from + kRecordsPerScriptCall); ++i) {
      appendRecord(records[i], call, events);
    }
    writes.push_back(std::move(call));
    if (auto q = outbox_.queueCall(events)) queues.push_back(std::move(*q));
  }
  auto replies = redis::evalScriptsReplicated(redis_, writes, ack_);
  if (!replies.ok()) return replies.error();
  std::vector<bool> wrote;
  wrote.reserve(records.size());
  for (size_t c = 0; c < writes.size(); ++c) {
    const auto& reply = (*replies)[c];
    size_t from = c * kRecordsPerScriptCall;
    size_t count = std::min(records.size() - from, kRecordsPerScriptCall);
    if (reply.type != RedisReply::Type::Array || reply.elements.size() != count) {
      return Error{
          ErrorKind::Internal, "unexpected reply: " + reply.text,
          "call record " + records[from].call_id + " and " + std::to_string(count - 1) + " more"};
    }
    for (size_t k = 0; k < count; ++k) {
      const auto& one = reply.elements[k];
      if (one.type != RedisReply::Type::Array || one.elements.size() != 2) {
        return Error{ErrorKind::Internal, "unexpected reply: " + one.text,
                     "call record " + records[from + k].call_id};
      }
      wrote.push_back(one.elements[0].integer == 1);
    }
  }
  auto queued = redis::evalScriptsReplicated(redis_, queues, ack_);
  if (!queued.ok()) {
    return Error{queued.error().kind, queued.error().message,
                 "webhook outbox for " + std::to_string(records.size()) + " call record(s)"};
  }
  for (const auto& reply : queued.value()) {
    if (reply.type == RedisReply::Type::Error) {
      return Error{ErrorKind::Internal, reply.text,
                   "webhook outbox for " + std::to_string(records.size()) + " call record(s)"};
    }
  }
  return wrote;
}

Result<std::optional<json>> CallRecordStore::get(const std::string& call_id) {
  auto id = redis_.command({"GET", redis::record_keys::call(call_id)});
  if (!id.ok()) return id.error();
  if (id->type != RedisReply::Type::String) return std::optional<json>();
  auto entry = redis_.command({"XRANGE", redis::record_keys::kStream, id->text, id->text});
  if (!entry.ok()) return entry.error();
  return recordOf(*entry);
}

Result<CallRecordPage> CallRecordStore::query(const CallRecordFilter& filter,
                                              const std::string& cursor_text, size_t limit) {
  std::optional<PageCursor> cursor;
  if (!cursor_text.empty()) {
    cursor = decodeCursor(cursor_text);
    if (!cursor) {
      return Error{ErrorKind::InvalidInput, "not a cursor this API gave (next_cursor)", "cursor"};
    }
  }
  const std::string index = indexFor(filter);
  const std::string low = filter.from_ms ? std::to_string(filter.from_ms) : "-inf";
  CallRecordPage out;
  size_t scanned = 0;
  // Rounds of `batch` index entries until the page is full, the index ends or the scan budget
  // is spent (then the cursor says where to go on).
  const size_t batch = std::clamp<size_t>(limit * 2, 50, 1000);
  while (scanned < kMaxScanPerPage) {
    std::vector<std::vector<std::string>> cmds;
    std::string high = filter.to_ms ? std::to_string(filter.to_ms) : "+inf";
    if (cursor) {
      std::string at = std::to_string(cursor->score);
      cmds.push_back({"ZREVRANGEBYSCORE", index, at, at, "WITHSCORES", "LIMIT", "0",
                      std::to_string(kMaxTies)});
      high = "(" + at;
    }
    cmds.push_back(
        {"ZREVRANGEBYSCORE", index, high, low, "WITHSCORES", "LIMIT", "0", std::to_string(batch)});
    auto replies = redis_.pipeline(cmds);
    if (!replies.ok()) return replies.error();
    std::vector<IndexEntry> candidates;
    for (const auto& rep : *replies) {
      if (rep.type == RedisReply::Type::Error) return Error{ErrorKind::Internal, rep.text, index};
      for (size_t k = 0; k + 1 < rep.elements.size(); k += 2) {
        candidates.push_back(
            IndexEntry{redis::fieldInt(rep.elements[k + 1].text), rep.elements[k].text, 0});
      }
    }
    auto merged = mergePage(std::move(candidates), cursor, batch);
    if (merged.entries.empty()) return out;
    std::vector<std::vector<std::string>> reads;
    for (const auto& e : merged.entries) {
      reads.push_back({"XRANGE", redis::record_keys::kStream, e.id, e.id});
    }
    auto entries = redis_.pipeline(reads);
    if (!entries.ok()) return entries.error();
    std::vector<std::vector<std::string>> stale;
    size_t used = 0;
    for (size_t i = 0; i < merged.entries.size(); ++i) {
      used = i + 1;
      const auto& e = merged.entries[i];
      cursor = PageCursor{e.score, e.id};
      ++scanned;
      auto rec = recordOf((*entries)[i]);
      if (!rec) {
        stale.push_back({"ZREM", index, e.id});
      } else if (matches(*rec, filter)) {
        out.records.push_back(std::move(*rec));
      }
      if (out.records.size() == limit) break;
    }
    if (!stale.empty()) (void)redis_.pipeline(stale);  // housekeeping: the entries were trimmed
    if (out.records.size() == limit) {
      // More may follow unless this was the index's last entry.
      if (merged.more || used < merged.entries.size()) out.next_cursor = encodeCursor(*cursor);
      return out;
    }
    if (!merged.more) return out;  // the index has nothing older
  }
  out.next_cursor = encodeCursor(*cursor);
  return out;
}

}  // namespace callmesh::notification
