// The provisioning API's whole-table endpoints (routing_api.h): read, versions, validate,
// dry-run, activate, rollback, audit, replicas.
#include <algorithm>
#include <memory>

#include <nlohmann/json.hpp>

#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "services/notification/routing_api.h"
#include "services/router/outcome_text.h"
#include "services/router/random_source.h"
#include "services/router/route_planner.h"
#include "services/router/routing_config.h"
#include "services/router/time_zone.h"

namespace callmesh::notification {

namespace {

using nlohmann::json;

constexpr size_t kMaxVersionsListed = 500;
constexpr size_t kMaxAuditListed = 1000;
constexpr size_t kMaxDryRunCalls = 50;

// The YAML of a request: {"yaml": "..."} or the body itself (an import: curl --data-binary).
std::string yamlOf(const ApiRequest& req) {
  if (!req.body.empty() && req.body.front() == '{') {
    auto j = json::parse(req.body, nullptr, false);
    if (j.is_object() && j.contains("yaml") && j["yaml"].is_string()) return j["yaml"];
  }
  return req.body;
}

size_t limitOf(const ApiRequest& req, size_t fallback, size_t max) {
  auto v = req.queryValue("limit");
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 6) {
    return fallback;
  }
  return std::clamp<size_t>(std::stoul(v), 1, max);
}

json documentJson(const redis::RoutingDocument& doc, bool with_text) {
  json j{{"epoch", doc.version}, {"author", doc.author},     {"action", doc.action},
         {"at_ms", doc.at_ms},   {"based_on", doc.based_on}, {"sha", doc.sha}};
  if (with_text) j["yaml"] = doc.yaml;
  return j;
}

ApiReply documentReply(const ApiRequest& req, const redis::RoutingDocument& doc) {
  ApiReply r;
  if (req.queryValue("format") == "yaml") {
    r.raw_body = doc.yaml;
    r.content_type = "application/yaml";
  } else {
    r.body = documentJson(doc, true);
  }
  r.headers.push_back({"ETag", "\"" + std::to_string(doc.version) + "\""});
  return r;
}

ApiReply getActiveRouting(ApiDeps& d, const ApiRequest& req, const Principal&) {
  redis::RoutingDocuments docs(d.redis);
  auto doc = docs.active();
  if (!doc.ok()) return redisDown(d.log, doc.error());
  if (!doc->has_value()) return refuse(404, "not_found", "no routing table is active yet");
  return documentReply(req, **doc);
}

ApiReply getRoutingVersion(ApiDeps& d, const ApiRequest& req, const Principal&) {
  redis::RoutingDocuments docs(d.redis);
  auto doc = docs.document(std::stoull(req.param(0)));
  if (!doc.ok()) return redisDown(d.log, doc.error());
  if (!doc->has_value()) {
    return refuse(404, "not_found", "no routing version " + req.param(0) + " (or past retention)");
  }
  return documentReply(req, **doc);
}

ApiReply listRoutingVersions(ApiDeps& d, const ApiRequest& req, const Principal&) {
  redis::RoutingDocuments docs(d.redis);
  auto active = docs.activeVersion();
  if (!active.ok()) return redisDown(d.log, active.error());
  auto list = docs.versions(limitOf(req, 100, kMaxVersionsListed));
  if (!list.ok()) return redisDown(d.log, list.error());
  json items = json::array();
  for (const auto& v : *list) items.push_back(documentJson(v, false));
  return reply(200, {{"active", *active}, {"versions", items}});
}

ApiReply validateRouting(ApiDeps&, const ApiRequest& req, const Principal&) {
  if (auto bad = validationRefusal(yamlOf(req))) return *bad;
  return reply(200, {{"valid", true}});
}

// One sample call from a dry-run body.
Result<router::CallQuery> sampleCall(const json& c, size_t i) {
  std::string at = "calls[" + std::to_string(i) + "]";
  if (!c.is_object() || !c.contains("dialed") || !c["dialed"].is_string()) {
    return invalidInput("needs \"dialed\"", at + ".dialed");
  }
  router::CallQuery q;
  q.call_id = "dry-run-" + std::to_string(i);
  q.dialed = c["dialed"];
  q.caller = c.value("caller", "");
  q.caller_zip = c.value("zip", "");
  q.project = c.value("project", "");
  q.last_outcome = c.value("last_outcome", "");
  auto when = router::parseRfc3339(c.value("at", "1970-01-01T00:00:00Z"));
  if (!when.ok()) return invalidInput(when.error().message, at + ".at");
  q.received_at_ms = when.value();
  return q;
}

json planJson(const router::RouteOutcome& out) {
  json steps = json::array();
  for (const auto& s : out.steps) {
    json targets = json::array();
    for (const auto& t : s.targets) {
      targets.push_back({{"uri", t.uri}, {"number", t.number}, {"agent_id", t.agent_id}});
    }
    steps.push_back({{"timeout_ms", s.timeout_ms}, {"targets", targets}});
  }
  return {{"rule", out.rule}, {"reject", out.reject}, {"status", out.status},
          {"steps", steps},   {"trace", out.trace},   {"explained", router::describeOutcome(out)}};
}

// seed 000..004 rules as the router applies them, explained as callmesh-explain does without
// Redis: every agent available, every caller unknown, no outbound history written.
ApiReply dryRunRouting(ApiDeps& d, const ApiRequest& req, const Principal&) {
  auto body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("yaml") || !body["yaml"].is_string() ||
      !body.contains("calls") || !body["calls"].is_array()) {
    return refuse(400, "invalid_request", "body must be {\"yaml\": \"...\", \"calls\": [...]}");
  }
  if (body["calls"].size() > kMaxDryRunCalls) {
    return refuse(400, "invalid_request",
                  "at most " + std::to_string(kMaxDryRunCalls) + " sample calls",
                  {{"field", "calls"}});
  }
  std::string proposed_text = body["yaml"];
  if (auto bad = validationRefusal(proposed_text)) return *bad;
  auto proposed = router::parseRoutingConfig(proposed_text, "routing");
  redis::RoutingDocuments docs(d.redis);
  auto active = docs.active();
  if (!active.ok()) return redisDown(d.log, active.error());
  std::unique_ptr<router::RoutingConfig> current;
  if (active->has_value()) {
    auto cfg = router::parseRoutingConfig((*active)->yaml, "routing");
    if (cfg.ok()) current = std::make_unique<router::RoutingConfig>(std::move(cfg.value()));
  }
  router::EveryoneAvailable everyone;
  router::NoContacts nobody;
  router::NoOutboundHistory no_history;
  router::SystemRandomSource random;
  json results = json::array();
  for (size_t i = 0; i < body["calls"].size(); ++i) {
    auto q = sampleCall(body["calls"][i], i);
    if (!q.ok()) return refuseInput(q.error());
    router::QueueCursors cursors_now, cursors_next;
    json row{{"call", body["calls"][i]}};
    if (current) {
      router::RoutePlanner now(*current, everyone, nobody, cursors_now, no_history, random);
      row["current"] = planJson(now.decide(*q));
    } else {
      row["current"] = nullptr;
    }
    router::RoutePlanner next(proposed.value(), everyone, nobody, cursors_next, no_history, random);
    row["proposed"] = planJson(next.decide(*q));
    row["changed"] = row["current"].is_null() ||
                     row["current"]["steps"] != row["proposed"]["steps"] ||
                     row["current"]["reject"] != row["proposed"]["reject"];
    results.push_back(std::move(row));
  }
  return reply(200, {{"current_epoch", active->has_value() ? (*active)->version : 0},
                     {"presence", "every agent counted available, every caller unknown"},
                     {"results", results}});
}

ApiReply activateRouting(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  if (auto no = gitOpsRefusal(d)) return *no;
  RoutingChange change;
  if (auto bad = ifMatchRefusal(req, change.if_match)) return *bad;
  change.yaml = yamlOf(req);
  change.action = "activate";
  redis::RoutingDocuments docs(d.redis);
  auto active = docs.active();
  if (!active.ok()) return redisDown(d.log, active.error());
  return commitRouting(d, who, change, *active);
}

// A rollback is a new version carrying the old text: epochs only grow.
ApiReply rollbackRouting(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  if (auto no = gitOpsRefusal(d)) return *no;
  auto body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("version") || !body["version"].is_number_unsigned()) {
    return refuse(400, "invalid_request", "body must be {\"version\": N}", {{"field", "version"}});
  }
  RoutingChange change;
  if (auto bad = ifMatchRefusal(req, change.if_match)) return *bad;
  uint64_t version = body["version"];
  redis::RoutingDocuments docs(d.redis);
  auto old = docs.document(version);
  if (!old.ok()) return redisDown(d.log, old.error());
  if (!old->has_value()) {
    return refuse(404, "not_found",
                  "no routing version " + std::to_string(version) + " (or past retention)",
                  {{"field", "version"}});
  }
  auto active = docs.active();
  if (!active.ok()) return redisDown(d.log, active.error());
  change.yaml = (*old)->yaml;
  change.action = "rollback to " + std::to_string(version);
  return commitRouting(d, who, change, *active);
}

ApiReply listRoutingAudit(ApiDeps& d, const ApiRequest& req, const Principal&) {
  redis::RoutingDocuments docs(d.redis);
  auto log = docs.audit(limitOf(req, 100, kMaxAuditListed));
  if (!log.ok()) return redisDown(d.log, log.error());
  json items = json::array();
  for (const auto& a : *log) {
    items.push_back({{"id", a.id},
                     {"epoch", a.epoch},
                     {"based_on", a.based_on},
                     {"who", a.who},
                     {"action", a.action},
                     {"at_ms", a.at_ms},
                     {"diff", a.diff}});
  }
  return reply(200, {{"entries", items}});
}

ApiReply listRoutingReplicas(ApiDeps& d, const ApiRequest&, const Principal&) {
  redis::RoutingDocuments docs(d.redis);
  auto reps = docs.replicas();
  if (!reps.ok()) return redisDown(d.log, reps.error());
  int64_t now = d.clock.nowMs();
  json items = json::array();
  for (const auto& r : *reps) {
    items.push_back({{"replica", r.replica},
                     {"epoch", r.version},
                     {"reported_at_ms", r.at_ms},
                     {"live", now - r.at_ms <= kReplicaLiveMs}});
  }
  return reply(200, {{"replicas", items}});
}

}  // namespace

void addRoutingRoutes(ApiRoutes& routes) {
  routes.get("/v1/admin/routing", Access::AdminOnly, getActiveRouting);
  routes.get("/v1/admin/routing/versions", Access::AdminOnly, listRoutingVersions);
  routes.get(R"(/v1/admin/routing/versions/(\d{1,18}))", Access::AdminOnly, getRoutingVersion);
  routes.get("/v1/admin/routing/audit", Access::AdminOnly, listRoutingAudit);
  routes.get("/v1/admin/routing/replicas", Access::AdminOnly, listRoutingReplicas);
  routes.post("/v1/admin/routing/validate", Access::AdminOnly, validateRouting);
  routes.post("/v1/admin/routing/dry-run", Access::AdminOnly, dryRunRouting);
  routes.post("/v1/admin/routing/activate", Access::AdminOnly, activateRouting);
  routes.post("/v1/admin/routing/rollback", Access::AdminOnly, rollbackRouting);
}

}  // namespace callmesh::notification
