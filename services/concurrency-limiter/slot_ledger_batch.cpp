// SlotLedger::acquireMany: the acquires that queued at the limiter, in one Redis round trip.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "services/concurrency-limiter/slot_ledger.h"
#include "shared/redis/chunked_pipeline.h"

namespace callmesh::concurrency_limiter {

namespace {

// Asks one run script decides at most: bounds how long one script holds Redis.
constexpr size_t kAsksPerRun = 64;

// Consecutive asks that one script decides: the first `count` from `first`.
struct Run {
  size_t first = 0;
  size_t count = 0;
};

}  // namespace

// Under load the ingress gathers a tick's calls (ingress.acquire_gather_ms) and they reach the
// limiter together. Consecutive asks on plain numbers (the plain cap, no account) whose only
// releases ride with the first of them go to one run script (kAcquireRunLua): Redis pays a
// script's fixed cost and the clock reading once per run instead of once per call, and each
// number's purge of expired leases, count and expiry once per run. One Redis takes a run across
// numbers (1,000 tracking numbers dialled in turn are one script per tick, not one per call);
// Redis Cluster refuses a script whose keys are in several slots, so there a run stays on one
// number. Each ask is still decided as acquire() decides it alone and in the given order, so the
// 50-call cap is as exact as before.
Result<std::vector<Result<SlotState>>> SlotLedger::acquireMany(
    const std::vector<AcquireAsk>& asks) {
  std::vector<AcquireCommand> acquires;
  acquires.reserve(asks.size());
  bool loaded = true;
  for (const auto& a : asks) {
    acquires.push_back(acquireCommand(a.number, a.call_id));
    loaded = loaded && !acquires.back().script->sha.empty();
  }
  std::vector<Result<SlotState>> out;
  out.reserve(asks.size());
  if (!loaded) {
    // A script is not loaded yet (the first acquires): one by one, the plain path loads it.
    for (const auto& a : asks) out.push_back(acquire(a.number, a.call_id, a.release_first));
    return out;
  }
  const bool across_numbers = !redis_.clustered();
  std::vector<Run> runs;
  for (size_t i = 0; i < asks.size(); ++i) {
    const bool plain = acquires[i].script == &acquire_script_;
    if (!runs.empty() && plain && asks[i].release_first.empty() &&
        runs.back().count < kAsksPerRun && acquires[runs.back().first].script == &acquire_script_ &&
        (across_numbers || acquires[runs.back().first].keys == acquires[i].keys)) {
      ++runs.back().count;
    } else {
      runs.push_back({i, 1});
    }
  }
  redis::RedisScript& run_script = acquireRunScript();
  // The run script's keys (the run's slot sets, each once, in order of first ask) and arguments
  // (lease, then per ask its key's index, its cap, its call id: kAcquireRunLua).
  struct RunCall {
    std::vector<std::string> keys;
    std::vector<std::string> args;
  };
  auto run_call = [&](const Run& r) {
    RunCall c{{acquires[r.first].keys.front()}, {std::to_string(lease_ms_)}};
    for (size_t j = r.first; j < r.first + r.count; ++j) {
      const std::string& key = acquires[j].keys.front();
      auto at = std::find(c.keys.begin(), c.keys.end(), key);
      if (at == c.keys.end()) at = c.keys.insert(at, key);
      c.args.push_back(std::to_string(at - c.keys.begin() + 1));
      c.args.push_back(std::to_string(acquires[j].cap));
      c.args.push_back(asks[j].call_id);
    }
    return c;
  };
  for (const auto& r : runs) {
    if (r.count < 2 || !run_script.sha.empty()) continue;
    // Loaded (on every master of a cluster) by a run with no ask: it changes nothing.
    RunCall none = run_call({r.first, 0});
    auto load = redis_.evalScript(run_script, none.keys, none.args);
    if (!load.ok()) return load.error();
    break;
  }
  std::vector<std::vector<std::string>> commands;
  std::vector<bool> counts;
  std::vector<size_t> script_at;  // index of each run's EVALSHA among the commands
  for (const auto& r : runs) {
    appendReleases(asks[r.first].release_first, commands, counts);
    script_at.push_back(commands.size());
    const AcquireCommand& first = acquires[r.first];
    if (r.count == 1) {
      commands.push_back(redis::evalShaCommand(*first.script, first.keys, first.args));
    } else {
      RunCall c = run_call(r);
      commands.push_back(redis::evalShaCommand(run_script, c.keys, c.args));
    }
    counts.push_back(false);
  }
  auto replies = redis::pipelineInChunks(redis_, commands);
  if (!replies.ok()) return replies.error();
  size_t next = 0;
  for (size_t k = 0; k < runs.size(); ++k) {
    const Run& r = runs[k];
    const AcquireCommand& first = acquires[r.first];
    int64_t released = 0;
    std::optional<Error> bad_release;  // the run's first ask's releases
    for (; next < script_at[k]; ++next) {
      const auto& reply = (*replies)[next];
      if (reply.type != redis::RedisReply::Type::Integer) {
        if (!bad_release) bad_release = unexpectedReply(reply, "release");
      } else if (counts[next]) {
        released += reply.integer;
      }
    }
    Result<redis::RedisReply> reply = std::move((*replies)[next++]);
    // Redis restarted or its script cache was flushed: the run again through the client, which
    // loads the script (the releases are done).
    if (redis::isNoScript(reply.value())) {
      if (r.count == 1) {
        first.script->sha.clear();
        reply = redis_.evalScript(*first.script, first.keys, first.args);
      } else {
        run_script.sha.clear();
        RunCall c = run_call(r);
        reply = redis_.evalScript(run_script, c.keys, c.args);
      }
    }
    for (size_t j = 0; j < r.count; ++j) {
      if (j == 0 && bad_release) {
        out.push_back(*bad_release);
      } else if (!reply.ok()) {
        out.push_back(reply.error());
      } else if (r.count == 1) {
        out.push_back(grantOf(reply.value(), first.cap, released));
      } else if (reply->type != redis::RedisReply::Type::Array ||
                 reply->elements.size() != r.count) {
        out.push_back(unexpectedReply(reply.value(), "acquire run"));
      } else {
        out.push_back(
            grantOf(reply->elements[j], acquires[r.first + j].cap, j == 0 ? released : 0));
      }
    }
  }
  return out;
}

}  // namespace callmesh::concurrency_limiter
