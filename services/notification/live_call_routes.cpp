// Live calls through the API (live_call_api.h).
#include <nlohmann/json.hpp>

#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "services/notification/live_call_api.h"
#include "shared/redis/live_calls_reader.h"

namespace callmesh::notification {

ApiReply listLiveCalls(ApiDeps& d, const ApiRequest&, const Principal&) {
  auto calls = redis::readLiveCalls(d.redis);
  if (!calls.ok()) return redisDown(d.log, calls.error());
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
  return reply(200, {{"calls", out}});
}

void addLiveCallRoutes(ApiRoutes& routes) {
  routes.get("/v1/calls", Access::AdminOnly, listLiveCalls);
  // Agents too: the handler lets an agent change only the call that agent answered.
  routes.post(R"(/v1/calls/([^/]+)/recording)", Access::AnyToken, setCallRecording);
}

}  // namespace callmesh::notification
