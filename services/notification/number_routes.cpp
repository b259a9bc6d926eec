// Company numbers through the API (admin only): each number's follow-up settings (seed 004
// "Source & Tag", selected agents) and its cap use (calls holding the limiter's slots now).
// seed 004: "Only the Team Owner/Admin can edit Company Number settings."
#include <httplib.h>

#include <set>

#include <nlohmann/json.hpp>

#include "services/notification/api_json.h"
#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "shared/redis/reply_fields.h"
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
  auto now = d.redis.command({"TIME"});
  if (!now.ok()) return now.error();
  int64_t now_ms = 0;
  if (now->elements.size() == 2) {
    now_ms = redis::fieldInt(now->elements[0].text) * 1000 +
             redis::fieldInt(now->elements[1].text) / 1000;
  }
  auto used =
      d.redis.command({"ZCOUNT", redis::numberSlotsKey(number, accountOf(d.config.limiter, number)),
                       "(" + std::to_string(now_ms), "+inf"});
  if (!used.ok()) return used.error();
  return used->integer;
}

// One number as GET /v1/numbers shows it: settings in force, cap and cap use.
Result<json> numberJson(ApiDeps& d, const std::string& number) {
  auto s = d.numbers.effective(number);
  if (!s.ok()) return s.error();
  auto used = slotsInUse(d, number);
  if (!used.ok()) return used.error();
  const auto& lim = d.config.limiter;
  auto cap = lim.caps.find(number);
  return json{{"number", number},
              {"source", s->source},
              {"tag", s->tag},
              {"selected_agents", s->selected_agents},
              {"cap", cap == lim.caps.end() ? lim.default_cap : cap->second},
              {"in_use", *used}};
}

// Checks a settings change against seed 004's limits. False after answering the refusal.
bool settingsOk(const config::CompanyNumberSettings& next, httplib::Response& res) {
  if (next.selected_agents.size() > 5) {
    refuse(res, 400, "invalid_request",
           "field 'selected_agents': at most 5 agents (seed 004 blast alert)",
           {{"field", "selected_agents"}});
    return false;
  }
  if (hasComma(next.selected_agents) || next.tag.find(',') != std::string::npos ||
      next.source.find(',') != std::string::npos) {
    refuse(res, 400, "invalid_request", "values may not contain ','");
    return false;
  }
  return true;
}

}  // namespace

void addNumberRoutes(ApiRoutes& routes) {
  ApiDeps& d = routes.deps();

  routes.get("/v1/numbers", Access::AdminOnly,
             [&d](const httplib::Request&, httplib::Response& res, const Principal&) {
               auto numbers = d.numbers.numbers();
               if (!numbers.ok()) return redisDown(res, numbers.error());
               std::set<std::string> all(numbers->begin(), numbers->end());
               for (const auto& [n, c] : d.config.limiter.caps) all.insert(n);
               json out = json::array();
               for (const auto& n : all) {
                 auto one = numberJson(d, n);
                 if (!one.ok()) return redisDown(res, one.error());
                 out.push_back(*one);
               }
               reply(res, 200, {{"numbers", out}});
             });
  routes.get(R"(/v1/numbers/([^/]+))", Access::AdminOnly,
             [&d](const httplib::Request& req, httplib::Response& res, const Principal&) {
               auto one = numberJson(d, req.matches[1]);
               if (!one.ok()) return redisDown(res, one.error());
               reply(res, 200, *one);
             });
  routes.put(R"(/v1/numbers/([^/]+))", Access::AdminOnly,
             [&d](const httplib::Request& req, httplib::Response& res, const Principal& who) {
               std::string number = req.matches[1];
               if (!isE164(number)) {
                 return refuse(res, 400, "invalid_request",
                               "'" + number + "' is not E.164 like +15550100 (write + as %2B)");
               }
               auto body = parseBody(req.body, {{"source", Type::String, false},
                                                {"tag", Type::String, false},
                                                {"selected_agents", Type::StringList, false}});
               if (!body.ok()) return refuseInput(res, body.error());
               auto s = d.numbers.effective(number);
               if (!s.ok()) return redisDown(res, s.error());
               config::CompanyNumberSettings next = *s;
               if (body->contains("source")) next.source = (*body)["source"];
               if (body->contains("tag")) next.tag = (*body)["tag"];
               if (body->contains("selected_agents")) {
                 next.selected_agents = stringsOf((*body)["selected_agents"]);
               }
               if (!settingsOk(next, res)) return;
               if (auto st = d.numbers.set(number, next, who.agent_id, d.clock.nowMs()); !st.ok()) {
                 return redisDown(res, st.error());
               }
               auto one = numberJson(d, number);
               if (!one.ok()) return redisDown(res, one.error());
               reply(res, 200, *one);
             });
}

}  // namespace callmesh::notification
