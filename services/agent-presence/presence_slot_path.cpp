// PresenceLedger on Redis Cluster: every script call keeps to one hash slot
// (presence_slot_scripts.h). Two pipelined round trips per batch instead of one: the call-slot
// scripts decide, then the agent-slot scripts and the number sets follow what they allowed.
#include <algorithm>
#include <map>

#include "services/agent-presence/presence_ledger.h"
#include "services/agent-presence/presence_slot_scripts.h"
#include "shared/redis/cluster_slots.h"
#include "shared/redis/keys.h"

namespace callmesh::agent_presence {

namespace {

namespace keys = redis::presence_keys;

// Bounds one script call, as kEventsPerScriptCall does for the single-Redis path.
constexpr size_t kPerScriptCall = 200;

struct ScriptCall {
  std::vector<std::string> keys;
  std::vector<std::string> args;
};

Status loadOnce(redis::RedisClient& redis, redis::RedisScript& script) {
  if (!script.sha.empty()) return {};
  auto loaded = redis.command({"SCRIPT", "LOAD", script.body});  // every master on a cluster
  if (!loaded.ok()) return loaded.error();
  if (loaded->type != redis::RedisReply::Type::String) {
    return Error{ErrorKind::Internal, "SCRIPT LOAD failed: " + loaded->text, "presence"};
  }
  script.sha = loaded->text;
  return {};
}

// `calls` of `script` then `plain` commands, one pipeline; script calls refused with NOSCRIPT (a
// master that restarted or joined) run once more after loading the script again.
Result<std::vector<redis::RedisReply>> runPipeline(
    redis::RedisClient& redis, redis::RedisScript& script, const std::vector<ScriptCall>& calls,
    const std::vector<std::vector<std::string>>& plain) {
  if (auto st = loadOnce(redis, script); !st.ok()) return st.error();
  std::vector<std::vector<std::string>> commands;
  for (const auto& c : calls) commands.push_back(redis::evalShaCommand(script, c.keys, c.args));
  commands.insert(commands.end(), plain.begin(), plain.end());
  auto replies = redis.pipeline(commands);
  if (!replies.ok()) return replies.error();
  if (replies->size() != commands.size()) {
    return Error{ErrorKind::Internal, "pipeline: wrong number of replies", "presence"};
  }
  std::vector<size_t> refused;
  for (size_t i = 0; i < calls.size(); ++i) {
    if (redis::isNoScript((*replies)[i])) refused.push_back(i);
  }
  if (refused.empty()) return replies;
  script.sha.clear();
  if (auto st = loadOnce(redis, script); !st.ok()) return st.error();
  std::vector<std::vector<std::string>> again;
  for (size_t i : refused) {
    again.push_back(redis::evalShaCommand(script, calls[i].keys, calls[i].args));
  }
  auto rerun = redis.pipeline(again);
  if (!rerun.ok()) return rerun.error();
  for (size_t k = 0; k < refused.size() && k < rerun->size(); ++k) {
    (*replies)[refused[k]] = std::move((*rerun)[k]);
  }
  return replies;
}

// An event's part of the call-slot batch script's ARGV (KEYS: the call key alone).
void appendCallEvent(const LineEvent& e, ScriptCall& call) {
  const std::string at = std::to_string(e.at_ms);
  auto add = [&](const char* kind, std::initializer_list<std::string> a) {
    call.keys.push_back(keys::call(e.call_id));
    call.args.push_back(kind);
    call.args.push_back("1");
    call.args.push_back(std::to_string(a.size()));
    call.args.insert(call.args.end(), a);
  };
  switch (e.kind) {
    case LineEvent::Kind::Offered:
      add("o", {e.number, at, e.call_id, e.caller, e.rule});
      break;
    case LineEvent::Kind::LegRinging:
      add("r", {e.agent_id, at});
      break;
    case LineEvent::Kind::LegFailed:
      add("s", {e.agent_id, at});
      break;
    case LineEvent::Kind::Answered:
      add("a", {e.agent_id, at});
      break;
    case LineEvent::Kind::Ended:
      add("e", {at, e.call_id});
      break;
  }
}

// Script calls of events grouped by slot of `slotKey(i)`, in event order within a slot, at most
// kPerScriptCall items each. Returns the indices each call carries.
template <typename SlotOf>
std::vector<std::vector<size_t>> groupBySlot(const std::vector<size_t>& items, SlotOf slotOf) {
  std::map<int, std::vector<std::vector<size_t>>> by_slot;
  for (size_t i : items) {
    auto& chunks = by_slot[slotOf(i)];
    if (chunks.empty() || chunks.back().size() == kPerScriptCall) chunks.emplace_back();
    chunks.back().push_back(i);
  }
  std::vector<std::vector<size_t>> out;
  for (auto& [slot, chunks] : by_slot) {
    for (auto& c : chunks) out.push_back(std::move(c));
  }
  return out;
}

struct AgentOp {
  size_t event;
  std::string op;
  std::string agent;
};

struct NumberOp {
  size_t event;
  std::vector<std::string> command;
};

}  // namespace

Result<std::vector<LineOutcome>> PresenceLedger::applyEventsPerSlot(
    const std::vector<LineEvent>& events) {
  std::vector<LineOutcome> outcomes(events.size(), LineOutcome(std::vector<std::string>{}));
  std::vector<size_t> todo;
  for (size_t i = 0; i < events.size(); ++i) {
    if (needsRedis(events[i])) todo.push_back(i);
  }
  if (todo.empty()) return outcomes;

  // 1. The call records decide, one script call per call slot.
  auto call_groups =
      groupBySlot(todo, [&](size_t i) { return redis::keySlot(keys::call(events[i].call_id)); });
  std::vector<ScriptCall> calls(call_groups.size());
  for (size_t g = 0; g < call_groups.size(); ++g) {
    for (size_t i : call_groups[g]) appendCallEvent(events[i], calls[g]);
  }
  auto decided = runPipeline(redis_, call_script_, calls, {});
  if (!decided.ok()) return decided.error();
  std::vector<AgentOp> agent_ops;
  std::vector<NumberOp> number_ops;
  for (size_t g = 0; g < call_groups.size(); ++g) {
    const auto& r = (*decided)[g];
    const auto& group = call_groups[g];
    bool per_event = r.type == redis::RedisReply::Type::Array && r.elements.size() == group.size();
    for (size_t k = 0; k < group.size(); ++k) {
      size_t i = group[k];
      if (!per_event) {
        outcomes[i] = Error{
            ErrorKind::Internal,
            r.type == redis::RedisReply::Type::Error ? r.text : "one reply per event expected",
            "presence (call slot)"};
        continue;
      }
      const auto& e = r.elements[k];
      if (e.type == redis::RedisReply::Type::Error) {
        outcomes[i] = Error{ErrorKind::Internal, e.text, "presence (call slot)"};
        continue;
      }
      std::vector<std::string> changed;
      for (size_t f = 0; f + 1 < e.elements.size(); f += 2) {
        const std::string& op = e.elements[f].text;
        const std::string& target = e.elements[f + 1].text;
        if (op == "n+") {
          number_ops.push_back({i, {"SADD", keys::numberOnCall(target), events[i].call_id}});
        } else if (op == "n-") {
          number_ops.push_back({i, {"SREM", keys::numberOnCall(target), events[i].call_id}});
        } else {
          agent_ops.push_back({i, op, target});
          changed.push_back(target);
        }
      }
      outcomes[i] = std::move(changed);
    }
  }
  if (agent_ops.empty() && number_ops.empty()) return outcomes;
  // Back in event order: the call groups were visited by slot, and an agent's counters must see
  // its calls' changes in the order they happened (a stop before a ring would be lost at 0).
  std::stable_sort(agent_ops.begin(), agent_ops.end(),
                   [](const AgentOp& a, const AgentOp& b) { return a.event < b.event; });
  std::stable_sort(number_ops.begin(), number_ops.end(),
                   [](const NumberOp& a, const NumberOp& b) { return a.event < b.event; });
  std::vector<std::vector<std::string>> number_commands;
  for (auto& n : number_ops) number_commands.push_back(std::move(n.command));

  // 2. What they allowed, one script call per agent slot, and the number sets.
  std::vector<size_t> op_index(agent_ops.size());
  for (size_t k = 0; k < op_index.size(); ++k) op_index[k] = k;
  auto agent_groups = groupBySlot(
      op_index, [&](size_t k) { return redis::keySlot(keys::agent(agent_ops[k].agent)); });
  std::vector<ScriptCall> agent_calls(agent_groups.size());
  for (size_t g = 0; g < agent_groups.size(); ++g) {
    for (size_t k : agent_groups[g]) {
      agent_calls[g].keys.push_back(keys::agent(agent_ops[k].agent));
      agent_calls[g].args.push_back(agent_ops[k].op);
      agent_calls[g].args.push_back(std::to_string(events[agent_ops[k].event].at_ms));
    }
  }
  // The call records already say these were applied, so a lost reply here is not retried by
  // redelivery: the agents' counters are repaired by the reconcile (docs/redis-cluster.md).
  auto followed = runPipeline(redis_, agent_script_, agent_calls, number_commands);
  if (!followed.ok()) return followed.error();
  for (size_t g = 0; g < agent_groups.size(); ++g) {
    const auto& r = (*followed)[g];
    if (r.type != redis::RedisReply::Type::Error) continue;
    for (size_t k : agent_groups[g]) {
      outcomes[agent_ops[k].event] = Error{ErrorKind::Internal, r.text, "presence (agent slot)"};
    }
  }
  return outcomes;
}

}  // namespace callmesh::agent_presence
