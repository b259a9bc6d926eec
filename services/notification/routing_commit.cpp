// Committing a routing change (routing_api.h): validate, diff, activate, wait for the replicas.
#include <chrono>
#include <thread>

#include "services/notification/api_reply.h"
#include "services/notification/routing_api.h"
#include "services/notification/routing_changes.h"
#include "services/router/routing_config.h"

namespace callmesh::notification {

namespace {

using nlohmann::json;

// Replicas' reports until every live one routes on `version` or the wait runs out.
json awaitReplicas(ApiDeps& d, redis::RoutingDocuments& docs, uint64_t version, bool& converged) {
  json out = json::array();
  int64_t deadline = d.clock.nowMs() + kActivationWaitMs;
  for (;;) {
    out = json::array();
    auto reps = docs.replicas();
    int live = 0, current = 0;
    if (reps.ok()) {
      int64_t now = d.clock.nowMs();
      for (const auto& r : *reps) {
        if (now - r.at_ms > kReplicaLiveMs) continue;
        ++live;
        if (r.version >= version) ++current;
        out.push_back({{"replica", r.replica}, {"epoch", r.version}, {"reported_at_ms", r.at_ms}});
      }
    }
    converged = live > 0 && current == live;
    if (converged || d.clock.nowMs() >= deadline) return out;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

std::optional<ApiReply> gitOpsRefusal(const ApiDeps& d) {
  if (d.config.router.routing_source == "redis") return std::nullopt;
  return refuse(409, "gitops",
                "router.routing_source is file: the routing file is the source of truth (its "
                "versions are mirrored here read-only); change the file, or set "
                "router.routing_source: redis to manage routing through this API");
}

std::optional<ApiReply> validationRefusal(const std::string& yaml) {
  auto cfg = router::parseRoutingConfig(yaml, "routing");
  if (cfg.ok()) return std::nullopt;
  json problems = json::array();
  for (const auto& p : routingProblems(cfg.error())) {
    problems.push_back({{"line", p.line}, {"field", p.field}, {"message", p.message}});
  }
  std::string first = problems.empty() ? std::string("invalid")
                                       : problems[0]["field"].get<std::string>() + ": " +
                                             problems[0]["message"].get<std::string>();
  return refuse(422, "invalid_routing", "the routing table does not load: " + first,
                {{"errors", problems}});
}

std::optional<ApiReply> ifMatchRefusal(const ApiRequest& req, std::optional<uint64_t>& out) {
  out.reset();
  if (req.if_match.empty()) return std::nullopt;
  std::string v = req.if_match;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos) {
    return refuse(400, "invalid_request", "If-Match must be a routing epoch (a version number)",
                  {{"field", "If-Match"}});
  }
  out = std::stoull(v);
  return std::nullopt;
}

ApiReply commitRouting(ApiDeps& d, const Principal& who, const RoutingChange& change,
                       const std::optional<redis::RoutingDocument>& base) {
  if (auto no = gitOpsRefusal(d)) return *no;
  if (auto bad = validationRefusal(change.yaml)) return *bad;
  uint64_t base_version = base ? base->version : 0;
  if (change.if_match && *change.if_match != base_version) {
    return refuse(409, "conflict",
                  "the active routing epoch is " + std::to_string(base_version) + ", not " +
                      std::to_string(*change.if_match),
                  {{"epoch", base_version}});
  }
  redis::RoutingDocuments docs(d.redis);
  redis::ActivationRequest req;
  req.yaml = change.yaml;
  req.author = who.agent_id;
  req.action = change.target.empty() ? change.action : change.action + " " + change.target;
  req.diff = lineDiff(base ? base->yaml : std::string(), change.yaml);
  req.at_ms = d.clock.nowMs();
  // Always conditional on the version the diff was made against: the audit's diff is exact, and
  // a change made from a stale read is a conflict, never a silent overwrite.
  req.expected_active = base_version;
  auto done = docs.activate(req);
  if (!done.ok()) return redisDown(d.log, done.error());
  if (done->outcome == redis::ActivationResult::Outcome::Conflict) {
    return refuse(409, "conflict",
                  "the routing table changed meanwhile (epoch " + std::to_string(done->version) +
                      "); read it again and retry",
                  {{"epoch", done->version}});
  }
  d.log.info("routing_activated", {{"who", who.agent_id},
                                   {"action", req.action},
                                   {"epoch", std::to_string(done->version)},
                                   {"based_on", std::to_string(base_version)}});
  bool converged = false;
  json replicas = awaitReplicas(d, docs, done->version, converged);
  ApiReply r = reply(200, {{"epoch", done->version},
                           {"based_on", base_version},
                           {"action", req.action},
                           {"diff", req.diff},
                           {"replicas", replicas},
                           {"converged", converged}});
  r.headers.push_back({"ETag", "\"" + std::to_string(done->version) + "\""});
  return r;
}

}  // namespace callmesh::notification
