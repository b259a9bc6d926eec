// Company numbers through the API (number_api.h).
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "services/notification/api_json.h"
#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "services/notification/number_api.h"
#include "shared/config/runtime_caps.h"
#include "shared/redis/reply_fields.h"
#include "shared/redis/routing_documents.h"
#include "shared/redis/slot_keys.h"

namespace callmesh::notification {

namespace {

using nlohmann::json;
using Type = BodyField::Type;

// The limiter account whose numbers list `number` (the last one, as the limiter reads its
// config), or "" when the number stands alone: it decides the name of the number's slot set.
std::string accountOf(const config::LimiterSettings& limiter, const std::string& number) {
  std::string account;
  for (const auto& [id, acc] : limiter.accounts) {
    for (const auto& n : acc.numbers) {
      if (n == number) account = id;
    }
  }
  return account;
}

// Calls on `number` now: its slots whose lease ends after Redis's clock (the limiter's clock).
Result<int64_t> slotsInUse(ApiDeps& d, const std::string& number) {
  auto now = d.leases.command({"TIME"});
  if (!now.ok()) return now.error();
  int64_t now_ms = 0;
  if (now->elements.size() == 2) {
    now_ms = redis::fieldInt(now->elements[0].text) * 1000 +
             redis::fieldInt(now->elements[1].text) / 1000;
  }
  auto used = d.leases.command({"ZCOUNT",
                                redis::numberSlotsKey(number, accountOf(d.config.limiter, number)),
                                "(" + std::to_string(now_ms), "+inf"});
  if (!used.ok()) return used.error();
  return used->integer;
}

// The caps set at run time (the active routing document's number_caps, docs/provisioning.md);
// none when no document is active or it has none.
Result<config::RuntimeCaps> runtimeCaps(ApiDeps& d) {
  redis::RoutingDocuments docs(d.redis);
  auto active = docs.active();
  if (!active.ok()) return active.error();
  if (!active->has_value()) return config::RuntimeCaps{};
  auto caps = config::parseRuntimeCaps((*active)->yaml);
  return caps.ok() ? caps.value() : config::RuntimeCaps{};
}

// One number as GET /v1/numbers shows it: settings in force, cap and cap use.
Result<json> numberJson(ApiDeps& d, const std::string& number, const config::RuntimeCaps& runtime) {
  auto s = d.numbers.effective(number);
  if (!s.ok()) return s.error();
  auto used = slotsInUse(d, number);
  if (!used.ok()) return used.error();
  const auto& lim = d.config.limiter;
  auto cap = lim.caps.find(number);
  auto set_now = runtime.numbers.find(number);
  int cap_now = set_now != runtime.numbers.end() ? set_now->second
                : cap == lim.caps.end()          ? lim.default_cap
                                                 : cap->second;
  return json{{"number", number}, {"source", s->source},
              {"tag", s->tag},    {"selected_agents", s->selected_agents},
              {"cap", cap_now},   {"in_use", *used}};
}

// Checks a settings change against seed 004's limits: the refusal, or nullopt.
std::optional<ApiReply> settingsRefusal(const config::CompanyNumberSettings& next) {
  if (next.selected_agents.size() > 5) {
    return refuse(400, "invalid_request",
                  "field 'selected_agents': at most 5 agents (seed 004 blast alert)",
                  {{"field", "selected_agents"}});
  }
  if (hasComma(next.selected_agents) || next.tag.find(',') != std::string::npos ||
      next.source.find(',') != std::string::npos) {
    return refuse(400, "invalid_request", "values may not contain ','");
  }
  return std::nullopt;
}

}  // namespace

ApiReply listNumbers(ApiDeps& d, const ApiRequest&, const Principal&) {
  auto numbers = d.numbers.numbers();
  if (!numbers.ok()) return redisDown(d.log, numbers.error());
  std::set<std::string> all(numbers->begin(), numbers->end());
  for (const auto& [n, c] : d.config.limiter.caps) all.insert(n);
  auto runtime = runtimeCaps(d);
  if (!runtime.ok()) return redisDown(d.log, runtime.error());
  for (const auto& [n, c] : runtime->numbers) all.insert(n);
  json out = json::array();
  for (const auto& n : all) {
    auto one = numberJson(d, n, *runtime);
    if (!one.ok()) return redisDown(d.log, one.error());
    out.push_back(*one);
  }
  return reply(200, {{"numbers", out}});
}

ApiReply getNumber(ApiDeps& d, const ApiRequest& req, const Principal&) {
  auto runtime = runtimeCaps(d);
  if (!runtime.ok()) return redisDown(d.log, runtime.error());
  auto one = numberJson(d, req.param(0), *runtime);
  if (!one.ok()) return redisDown(d.log, one.error());
  return reply(200, *one);
}

ApiReply putNumber(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  const std::string& number = req.param(0);
  if (!isE164(number)) {
    return refuse(400, "invalid_request",
                  "'" + number + "' is not E.164 like +15550100 (write + as %2B)");
  }
  auto body = parseBody(req.body, {{"source", Type::String, false},
                                   {"tag", Type::String, false},
                                   {"selected_agents", Type::StringList, false}});
  if (!body.ok()) return refuseInput(body.error());
  auto s = d.numbers.effective(number);
  if (!s.ok()) return redisDown(d.log, s.error());
  config::CompanyNumberSettings next = *s;
  if (body->contains("source")) next.source = (*body)["source"];
  if (body->contains("tag")) next.tag = (*body)["tag"];
  if (body->contains("selected_agents")) {
    next.selected_agents = stringsOf((*body)["selected_agents"]);
  }
  if (auto refusal = settingsRefusal(next)) return *refusal;
  if (auto st = d.numbers.set(number, next, who.agent_id, d.clock.nowMs()); !st.ok()) {
    return redisDown(d.log, st.error());
  }
  auto runtime = runtimeCaps(d);
  if (!runtime.ok()) return redisDown(d.log, runtime.error());
  auto one = numberJson(d, number, *runtime);
  if (!one.ok()) return redisDown(d.log, one.error());
  return reply(200, *one);
}

void addNumberRoutes(ApiRoutes& routes) {
  routes.get("/v1/numbers", Access::AdminOnly, listNumbers);
  routes.get(R"(/v1/numbers/([^/]+))", Access::AdminOnly, getNumber);
  routes.put(R"(/v1/numbers/([^/]+))", Access::AdminOnly, putNumber);
}

}  // namespace callmesh::notification
