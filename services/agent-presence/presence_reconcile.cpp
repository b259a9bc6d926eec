#include "services/agent-presence/presence_reconcile.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "shared/redis/chunked_pipeline.h"
#include "shared/redis/keys.h"
#include "shared/redis/reply_fields.h"
#include "shared/redis/scan.h"

namespace callmesh::agent_presence {

namespace {

namespace keys = redis::presence_keys;

// SCAN's hint per round trip: a startup over many records takes few round trips.
constexpr size_t kScanCount = 1000;

// The hash tag of every key matching `pattern`: the number, call or agent each key is for.
// `keep`, when given, filters the keys first (a pattern can match another family's keys too).
Result<std::set<std::string>> idsMatching(redis::RedisClient& redis, std::string_view pattern,
                                          bool (*keep)(const std::string& key) = nullptr) {
  std::set<std::string> ids;
  auto st = redis::scanKeys(
      redis, pattern,
      [&](const std::string& key) {
        if (keep == nullptr || keep(key)) {
          std::string id = redis::hashTagOf(key);
          if (!id.empty()) ids.insert(id);
        }
        return true;
      },
      kScanCount);
  if (!st.ok()) return st.error();
  return ids;
}

using Fields = std::map<std::string, std::string>;

Fields fieldsOf(const redis::RedisReply& hash) {
  Fields f;
  for (size_t k = 0; k + 1 < hash.elements.size(); k += 2) {
    f[hash.elements[k].text] = hash.elements[k + 1].text;
  }
  return f;
}

// Live-call records read per round of the sweep (one pipelined HGETALL each).
constexpr size_t kRecordsPerChunk = 500;

}  // namespace

// Reads `ids`' call records and counts the live ones into `on_call`, `ringing` and `live`; a
// call not ended whose slot lease is gone, offered more than `grace_ms` ago, is ended instead.
Status PresenceReconciler::tallyChunk(const std::vector<std::string>& ids, int64_t now_ms,
                                      int64_t grace_ms, ReconcileReport& report,
                                      std::map<std::string, int64_t>& on_call,
                                      std::map<std::string, int64_t>& ringing,
                                      std::map<std::string, std::set<std::string>>& live) {
  std::vector<std::vector<std::string>> reads;
  reads.reserve(ids.size());
  for (const auto& id : ids) reads.push_back({"HGETALL", keys::call(id)});
  auto records = redis::pipelineInChunks(redis_, reads);
  if (!records.ok()) return records.error();
  std::vector<Fields> fields(ids.size());
  std::vector<redis::CallSlot> slots;
  std::vector<size_t> open_calls;  // indexes of records not ended, with a number
  for (size_t i = 0; i < ids.size(); ++i) {
    fields[i] = fieldsOf((*records)[i]);
    if (fields[i].count("ended") || !fields[i].count("number")) continue;
    open_calls.push_back(i);
    slots.push_back({fields[i]["number"], ids[i]});
  }
  auto held = leases_.held(slots);
  if (!held.ok()) return held.error();
  for (size_t j = 0; j < open_calls.size(); ++j) {
    size_t i = open_calls[j];
    auto& f = fields[i];
    if (!(*held)[j] && redis::fieldInt(f["offered_at_ms"]) + grace_ms < now_ms) {
      auto st = ledger_.ended(ids[i], now_ms);
      if (!st.ok()) return st.error();
      ++report.stale_calls_ended;
      continue;
    }
    ++report.live_calls;
    live[f["number"]].insert(ids[i]);
    if (f["counted"] == "1" && !f["answered_by"].empty()) ++on_call[f["answered_by"]];
    for (const auto& [name, value] : f) {
      if (name.rfind("ring:", 0) == 0 && value == "1") ++ringing[name.substr(5)];
    }
  }
  return Status{};
}

Result<ReconcileReport> PresenceReconciler::run(int64_t now_ms, int64_t grace_ms,
                                                ReconcileScope scope) {
  ReconcileReport report;
  // The numbers' on-call sets as they are: the candidates in LiveSets scope, and what gets fixed.
  auto numbers = idsMatching(redis_, keys::kNumberOnCallPattern);
  if (!numbers.ok()) return numbers.error();
  std::map<std::string, std::set<std::string>> in_sets;  // number -> Call-IDs
  for (const auto& number : *numbers) {
    auto members = redis_.command({"SMEMBERS", keys::numberOnCall(number)});
    if (!members.ok()) return members.error();
    auto& calls = in_sets[number];
    for (const auto& m : members->elements) calls.insert(m.text);
  }
  // Candidates. Scanning every record in the periodic run made its cost grow with every call
  // kept for its retention (presence and Redis CPU per call doubled within a minute at 500/s).
  std::set<std::string> candidates;
  if (scope == ReconcileScope::LiveSets) {
    for (const auto& [number, calls] : in_sets) candidates.insert(calls.begin(), calls.end());
  } else {
    auto call_ids = idsMatching(redis_, keys::kCallPattern);
    if (!call_ids.ok()) return call_ids.error();
    candidates = std::move(*call_ids);
  }
  // The records are read, judged and tallied a chunk at a time and dropped: what the sweep holds
  // at once is the candidates' ids and one chunk's records, not every live call's record (about
  // 2.8 KB a call: 10,000 live calls made the service 28 MB larger at each run, memory the
  // allocator kept; docs/bench/memory.md).
  std::map<std::string, int64_t> on_call, ringing;
  std::map<std::string, std::set<std::string>> live;  // number -> Call-IDs
  std::vector<std::string> ids;
  ids.reserve(kRecordsPerChunk);
  for (auto next = candidates.begin(); next != candidates.end();) {
    ids.clear();
    for (; next != candidates.end() && ids.size() < kRecordsPerChunk; ++next) ids.push_back(*next);
    auto st = tallyChunk(ids, now_ms, grace_ms, report, on_call, ringing, live);
    if (!st.ok()) return st.error();
  }
  // Every agent we know of gets its counters rewritten from the live calls. The pattern also
  // matches other families under an agent's tag (cm:agent:{<id>}:notifications): skipped.
  auto agents = idsMatching(redis_, keys::kAgentPattern,
                            [](const std::string& key) { return key.back() == '}'; });
  if (!agents.ok()) return agents.error();
  for (const auto& [a, n] : on_call) agents->insert(a);
  for (const auto& [a, n] : ringing) agents->insert(a);
  std::vector<std::vector<std::string>> writes;
  for (const auto& a : *agents) {
    writes.push_back({"HSET", keys::agent(a), "on_call", std::to_string(on_call[a]), "ringing",
                      std::to_string(ringing[a])});
    ++report.agents_rewritten;
  }
  // The numbers' sets hold exactly their live calls.
  for (const auto& [number, calls] : in_sets) {
    for (const auto& c : calls) {
      if (!live[number].count(c)) writes.push_back({"SREM", keys::numberOnCall(number), c});
    }
  }
  for (const auto& [number, calls] : live) {
    for (const auto& c : calls) {
      if (!in_sets[number].count(c)) writes.push_back({"SADD", keys::numberOnCall(number), c});
    }
  }
  auto written = redis::pipelineInChunks(redis_, writes);
  if (!written.ok()) return written.error();
  for (const auto& r : *written) {
    if (r.type == redis::RedisReply::Type::Error) {
      return Error{ErrorKind::Internal, r.text, "reconcile"};
    }
  }
  return report;
}

}  // namespace callmesh::agent_presence
