#include "services/agent-presence/presence_ledger.h"

#include "services/agent-presence/presence_fold.h"
#include "services/agent-presence/presence_scripts.h"
#include "services/agent-presence/presence_slot_scripts.h"
#include "shared/codec/availability_names.h"
#include "shared/redis/keys.h"
#include "shared/redis/reply_fields.h"

namespace callmesh::agent_presence {

namespace {

namespace keys = redis::presence_keys;

Status asStatus(const Result<redis::RedisReply>& r, const char* op) {
  if (!r.ok()) return r.error();
  if (r->type == redis::RedisReply::Type::Error) {
    return Error{ErrorKind::Internal, r->text, std::string("presence ") + op};
  }
  return {};
}

const char* opName(LineEvent::Kind kind) {
  switch (kind) {
    case LineEvent::Kind::Offered:
      return "presence offered";
    case LineEvent::Kind::LegRinging:
      return "presence ringing";
    case LineEvent::Kind::LegFailed:
      return "presence leg failed";
    case LineEvent::Kind::Answered:
      return "presence answered";
    case LineEvent::Kind::Ended:
      return "presence ended";
  }
  return "presence";
}

// A script's reply (the agents whose state changed) or the error Redis gave instead.
LineOutcome outcomeOf(const redis::RedisReply& r, LineEvent::Kind kind) {
  if (r.type == redis::RedisReply::Type::Error) {
    return Error{ErrorKind::Internal, r.text, opName(kind)};
  }
  std::vector<std::string> changed;
  changed.reserve(r.elements.size());
  for (const auto& e : r.elements) changed.push_back(e.text);
  return changed;
}

// Appends one entry of the batch script's ARGV (presence_scripts.cpp presenceBatchScript): the
// transition's kind letter, its key and argument counts, then its keys and arguments.
void appendTransition(const char* kind, std::initializer_list<std::string> k,
                      std::initializer_list<std::string> a, std::vector<std::string>& keys,
                      std::vector<std::string>& args) {
  args.push_back(kind);
  args.push_back(std::to_string(k.size()));
  args.push_back(std::to_string(a.size()));
  keys.insert(keys.end(), k);
  args.insert(args.end(), a);
}

// Bounds how long one script call holds Redis: a backlog replayed after an outage is sent as
// several calls in one pipeline.
constexpr size_t kEventsPerScriptCall = 200;

}  // namespace

PresenceLedger::PresenceLedger(redis::RedisClient& redis) : redis_(redis) {
  batch_script_.body = presenceBatchScript();
  call_script_.body = presenceCallBatchScript();
  agent_script_.body = presenceAgentScript();
}

Status PresenceLedger::loadScript() {
  if (!batch_script_.sha.empty()) return {};
  auto loaded = redis_.pipeline({{"SCRIPT", "LOAD", batch_script_.body}});
  if (!loaded.ok()) return loaded.error();
  if (loaded->size() != 1 || loaded->front().type != redis::RedisReply::Type::String) {
    return Error{ErrorKind::Internal,
                 "SCRIPT LOAD failed: " + (loaded->empty() ? "no reply" : loaded->front().text),
                 "presence"};
  }
  batch_script_.sha = loaded->front().text;
  return {};
}

bool PresenceLedger::needsRedis(const LineEvent& e) {
  bool leg = e.kind == LineEvent::Kind::LegRinging || e.kind == LineEvent::Kind::LegFailed;
  return !(leg && e.agent_id.empty());
}

void PresenceLedger::appendEvent(const LineEvent& e, std::vector<std::string>& keys,
                                 std::vector<std::string>& args) {
  const std::string at = std::to_string(e.at_ms);
  auto add = [&](const char* kind, std::initializer_list<std::string> k,
                 std::initializer_list<std::string> a) {
    appendTransition(kind, k, a, keys, args);
  };
  switch (e.kind) {
    case LineEvent::Kind::Offered:
      add("o", {keys::call(e.call_id), keys::numberOnCall(e.number)},
          {e.number, at, e.call_id, e.caller, e.rule});
      break;
    case LineEvent::Kind::LegRinging:
      add("r", {keys::call(e.call_id), keys::agent(e.agent_id)}, {e.agent_id, at});
      break;
    case LineEvent::Kind::LegFailed:
      add("s", {keys::call(e.call_id), keys::agent(e.agent_id)}, {e.agent_id, at});
      break;
    case LineEvent::Kind::Answered:
      add("a", {keys::call(e.call_id), keys::agent(e.agent_id)}, {e.agent_id, at});
      break;
    case LineEvent::Kind::Ended:
      add("e", {keys::call(e.call_id)}, {at, e.call_id});
      break;
  }
}

void PresenceLedger::appendScriptEvent(const std::vector<LineEvent>& events,
                                       const ScriptEvent& entry, std::vector<std::string>& keys,
                                       std::vector<std::string>& args) {
  if (!entry.folded) {
    appendEvent(events[entry.events.front()], keys, args);
    return;
  }
  // presence_scripts.cpp kFoldedLua: offered, then the answer's and the end's times ('' : none).
  const LineEvent& offered = events[entry.events.front()];
  std::string answered_at;
  std::string ended_at;
  for (size_t k = 1; k < entry.events.size(); ++k) {
    const LineEvent& e = events[entry.events[k]];
    (e.kind == LineEvent::Kind::Answered ? answered_at : ended_at) = std::to_string(e.at_ms);
  }
  appendTransition(
      "f", {keys::call(offered.call_id), keys::numberOnCall(offered.number), keys::agent("")},
      {offered.number, std::to_string(offered.at_ms), offered.call_id, offered.caller, offered.rule,
       answered_at, ended_at},
      keys, args);
}

Result<std::vector<LineOutcome>> PresenceLedger::applyEvents(const std::vector<LineEvent>& events) {
  // Redis Cluster refuses a script whose keys are in several slots: split per slot there. One
  // Redis keeps the single batch script (one round trip per batch).
  if (redis_.clustered()) return applyEventsPerSlot(events);
  std::vector<LineOutcome> outcomes(events.size(), LineOutcome(std::vector<std::string>{}));
  std::vector<size_t> needed;
  for (size_t i = 0; i < events.size(); ++i) {
    if (needsRedis(events[i])) needed.push_back(i);
  }
  const std::vector<ScriptEvent> entries = planScriptEvents(events, needed);
  std::vector<std::vector<size_t>> chunks;  // indices of the entries each script call carries
  for (size_t i = 0; i < entries.size(); ++i) {
    if (chunks.empty() || chunks.back().size() == kEventsPerScriptCall) chunks.emplace_back();
    chunks.back().push_back(i);
  }
  if (chunks.empty()) return outcomes;
  // Runs `chunks` as one pipeline of script calls; returns the chunks Redis had no script for.
  auto run = [&](const std::vector<std::vector<size_t>>& todo)
      -> Result<std::vector<std::vector<size_t>>> {
    std::vector<std::vector<std::string>> commands;
    for (const auto& chunk : todo) {
      std::vector<std::string> keys;
      std::vector<std::string> args;
      for (size_t i : chunk) appendScriptEvent(events, entries[i], keys, args);
      commands.push_back(redis::evalShaCommand(batch_script_, keys, args));
    }
    auto replies = redis_.pipeline(commands);
    if (!replies.ok()) return replies.error();
    if (replies->size() != commands.size()) {
      return Error{ErrorKind::Internal, "pipeline: wrong number of replies", "presence"};
    }
    std::vector<std::vector<size_t>> unknown_script;
    for (size_t c = 0; c < todo.size(); ++c) {
      const auto& r = (*replies)[c];
      const auto& chunk = todo[c];
      if (redis::isNoScript(r)) unknown_script.push_back(chunk);
      bool per_entry =
          r.type == redis::RedisReply::Type::Array && r.elements.size() == chunk.size();
      for (size_t k = 0; k < chunk.size(); ++k) {
        const ScriptEvent& entry = entries[chunk[k]];
        // A folded entry's reply is its last event's (the end's agents); the events before it
        // changed no agent. An error is every one of its events'.
        const redis::RedisReply& mine = per_entry ? r.elements[k] : r;
        const bool shaped = per_entry || r.type == redis::RedisReply::Type::Error;
        for (size_t i : entry.events) {
          if (!shaped) {
            outcomes[i] =
                Error{ErrorKind::Internal, "one reply per event expected", opName(events[i].kind)};
          } else if (i == entry.events.back() || mine.type == redis::RedisReply::Type::Error) {
            outcomes[i] = outcomeOf(mine, events[i].kind);
          } else {
            outcomes[i] = std::vector<std::string>{};  // carried by a fold before its last event
          }
        }
      }
    }
    return unknown_script;
  };
  if (auto st = loadScript(); !st.ok()) return st.error();
  auto unknown_script = run(chunks);
  if (!unknown_script.ok()) return unknown_script.error();
  if (unknown_script->empty()) return outcomes;
  // Redis lost its script cache (restart, SCRIPT FLUSH): load the script again and re-run only
  // the calls that were refused, in their order. A second NOSCRIPT stays an error outcome.
  batch_script_.sha.clear();
  auto rerun = [&]() -> Status {
    if (auto st = loadScript(); !st.ok()) return st;
    auto again = run(*unknown_script);
    if (!again.ok()) return again.error();
    return {};
  }();
  if (!rerun.ok()) {
    for (const auto& chunk : *unknown_script)
      for (size_t e : chunk)
        for (size_t i : entries[e].events) outcomes[i] = rerun.error();
  }
  return outcomes;
}

LineOutcome PresenceLedger::singleOutcome(const LineEvent& event) {
  auto outcomes = applyEvents({event});
  if (!outcomes.ok()) return outcomes.error();
  return std::move(outcomes->front());
}

Status PresenceLedger::offered(const std::string& call_id, const std::string& number,
                               int64_t at_ms) {
  auto r = singleOutcome({LineEvent::Kind::Offered, call_id, number, {}, at_ms, {}, {}});
  if (!r.ok()) return r.error();
  return {};
}

Result<std::vector<std::string>> PresenceLedger::legRinging(const std::string& call_id,
                                                            const std::string& agent_id,
                                                            int64_t at_ms) {
  return singleOutcome({LineEvent::Kind::LegRinging, call_id, {}, agent_id, at_ms, {}, {}});
}

Result<std::vector<std::string>> PresenceLedger::legFailed(const std::string& call_id,
                                                           const std::string& agent_id,
                                                           int64_t at_ms) {
  return singleOutcome({LineEvent::Kind::LegFailed, call_id, {}, agent_id, at_ms, {}, {}});
}

Result<std::vector<std::string>> PresenceLedger::answered(const std::string& call_id,
                                                          const std::string& agent_id,
                                                          int64_t at_ms) {
  return singleOutcome({LineEvent::Kind::Answered, call_id, {}, agent_id, at_ms, {}, {}});
}

Result<std::vector<std::string>> PresenceLedger::ended(const std::string& call_id, int64_t at_ms) {
  return singleOutcome({LineEvent::Kind::Ended, call_id, {}, {}, at_ms, {}, {}});
}

Status PresenceLedger::setAvailability(const std::string& agent_id, const std::string& availability,
                                       int64_t at_ms) {
  if (!codec::isAvailabilityName(availability)) {
    return invalidInput("availability must be available, away, offline or dnd", agent_id);
  }
  return asStatus(redis_.command({"HSET", keys::agent(agent_id), "availability", availability,
                                  "changed_at_ms", std::to_string(at_ms)}),
                  "availability");
}

Result<std::vector<AgentRecord>> PresenceLedger::agents(const std::vector<std::string>& ids) {
  std::vector<AgentRecord> out;
  if (ids.empty()) return out;
  std::vector<std::vector<std::string>> cmds;
  for (const auto& id : ids) cmds.push_back({"HGETALL", keys::agent(id)});
  auto replies = redis_.pipeline(cmds);
  if (!replies.ok()) return replies.error();
  for (size_t i = 0; i < ids.size(); ++i) {
    AgentRecord a;
    a.agent_id = ids[i];
    const auto& e = (*replies)[i].elements;
    for (size_t k = 0; k + 1 < e.size(); k += 2) {
      const std::string& f = e[k].text;
      const std::string& v = e[k + 1].text;
      if (f == "availability" && codec::isAvailabilityName(v))
        a.availability = v;
      else if (f == "on_call")
        a.on_call = redis::fieldInt(v);
      else if (f == "ringing")
        a.ringing = redis::fieldInt(v);
      else if (f == "changed_at_ms")
        a.changed_at_ms = redis::fieldInt(v);
      else if (f == "idle_since_ms")
        a.idle_since_ms = redis::fieldInt(v);
    }
    out.push_back(std::move(a));
  }
  return out;
}

Result<int64_t> PresenceLedger::agentOnCall(const std::string& agent_id) {
  auto r = redis_.command({"HGET", keys::agent(agent_id), "on_call"});
  if (!r.ok()) return r.error();
  if (r->isNil()) return int64_t{0};
  return redis::fieldInt(r->text);
}

Result<int64_t> PresenceLedger::numberOnCall(const std::string& number) {
  auto r = redis_.command({"SCARD", keys::numberOnCall(number)});
  if (!r.ok()) return r.error();
  return r->integer;
}

}  // namespace callmesh::agent_presence
