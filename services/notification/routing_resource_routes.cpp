// The provisioning API one entry at a time (routing_api.h): GET/PUT/DELETE a tracking number, a
// receiving number, a schedule, an agent, a company number's rules ... on top of the versioned
// documents: read the active one, change the entry, validate, commit a new version. If-Match
// carries the epoch the caller read (ETag); a stale one is 409 and changes nothing.
#include <yaml-cpp/yaml.h>

#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "services/notification/routing_api.h"
#include "services/notification/routing_changes.h"

namespace callmesh::notification {

namespace {

using nlohmann::json;

// The families resourceKey() knows, as one regex alternative.
constexpr const char* kFamilies =
    "(tracking_numbers|receiving_numbers|company_numbers|crm_numbers|schedules|agents|locations|"
    "queues|geo_routers|projects|number_caps|account_caps)";

ApiReply refuseChange(ApiDeps& d, const Error& e) {
  if (e.kind == ErrorKind::NotFound) return refuse(404, "not_found", e.message);
  if (e.kind == ErrorKind::InvalidInput) return refuseInput(e);
  return redisDown(d.log, e);
}

// A YAML scalar tree as JSON (every scalar a string: YAML does not say which are numbers).
json jsonOf(const YAML::Node& n) {
  if (n.IsMap()) {
    json j = json::object();
    for (auto it = n.begin(); it != n.end(); ++it) j[it->first.Scalar()] = jsonOf(it->second);
    return j;
  }
  if (n.IsSequence()) {
    json j = json::array();
    for (const auto& e : n) j.push_back(jsonOf(e));
    return j;
  }
  if (n.IsScalar()) return n.Scalar();
  return nullptr;
}

ApiReply getRoutingResource(ApiDeps& d, const ApiRequest& req, const Principal&) {
  redis::RoutingDocuments docs(d.redis);
  auto active = docs.active();
  if (!active.ok()) return redisDown(d.log, active.error());
  if (!active->has_value()) return refuse(404, "not_found", "no routing table is active yet");
  auto entry = getResource((*active)->yaml, req.param(0), req.param(1));
  if (!entry.ok()) return refuseChange(d, entry.error());
  ApiReply r = reply(200, {{"epoch", (*active)->version},
                           {"section", req.param(0)},
                           {"id", req.param(1)},
                           {"entry", jsonOf(YAML::Load(*entry))},
                           {"yaml", *entry}});
  r.headers.push_back({"ETag", "\"" + std::to_string((*active)->version) + "\""});
  return r;
}

// PUT and DELETE: the edit `edit` makes of the active text, committed as a new version.
template <typename Edit>
ApiReply changeRoutingResource(ApiDeps& d, const ApiRequest& req, const Principal& who,
                               const char* action, Edit edit) {
  if (auto no = gitOpsRefusal(d)) return *no;
  RoutingChange change;
  if (auto bad = ifMatchRefusal(req, change.if_match)) return *bad;
  redis::RoutingDocuments docs(d.redis);
  auto active = docs.active();
  if (!active.ok()) return redisDown(d.log, active.error());
  auto next = edit(active->has_value() ? (*active)->yaml : std::string());
  if (!next.ok()) return refuseChange(d, next.error());
  change.yaml = *next;
  change.action = action;
  change.target = req.param(0) + "/" + req.param(1);
  return commitRouting(d, who, change, *active);
}

ApiReply putRoutingResource(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  return changeRoutingResource(d, req, who, "put", [&](const std::string& text) {
    return putResource(text, req.param(0), req.param(1), req.body);
  });
}

ApiReply deleteRoutingResource(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  return changeRoutingResource(d, req, who, "delete", [&](const std::string& text) {
    return deleteResource(text, req.param(0), req.param(1));
  });
}

}  // namespace

void addRoutingResourceRoutes(ApiRoutes& routes) {
  std::string pattern = std::string("/v1/admin/routing/") + kFamilies + "/([^/]{1,128})";
  routes.get(pattern, Access::AdminOnly, getRoutingResource);
  routes.put(pattern, Access::AdminOnly, putRoutingResource);
  routes.del(pattern, Access::AdminOnly, deleteRoutingResource);
}

}  // namespace callmesh::notification
