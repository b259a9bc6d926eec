// Live calls through the API (admin only): what agent-presence holds for calls in progress, read
// through shared/redis/live_calls_reader.h (agent-presence owns those keys).
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "shared/redis/live_calls_reader.h"

namespace callmesh::notification {

void addLiveCallRoutes(ApiRoutes& routes) {
  ApiDeps& d = routes.deps();
  routes.get("/v1/calls", Access::AdminOnly,
             [&d](const httplib::Request&, httplib::Response& res, const Principal&) {
               auto calls = redis::readLiveCalls(d.redis);
               if (!calls.ok()) return redisDown(res, calls.error());
               nlohmann::json out = nlohmann::json::array();
               for (const auto& c : *calls) {
                 out.push_back({{"call_id", c.call_id},
                                {"number", c.number},
                                {"state", c.state},
                                {"answered_by", c.answered_by},
                                {"offered_at_ms", c.offered_at_ms},
                                {"caller", c.caller},
                                {"rule", c.rule},
                                {"ringing", c.ringing}});
               }
               reply(res, 200, {{"calls", out}});
             });
}

}  // namespace callmesh::notification
