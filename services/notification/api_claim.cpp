#include "services/notification/api_claim.h"

#include <httplib.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "services/notification/api_reply.h"
#include "services/notification/notification_service.h"

namespace callmesh::notification {

std::optional<NotificationRecord> claimOrRefuse(ApiDeps& d, const std::string& id,
                                                const Principal& who, ClaimAction action,
                                                httplib::Response& res) {
  auto before = d.store.get(id);
  if (!before.ok()) {
    redisDown(res, before.error());
    return std::nullopt;
  }
  auto c = d.store.claim(id, who.agent_id, action, d.clock.nowMs());
  if (!c.ok()) {
    redisDown(res, c.error());
    return std::nullopt;
  }
  switch (c->outcome) {
    case ClaimOutcome::NotFound:
      d.metrics.claims("not_found").Increment();
      refuse(res, 404, "not_found",
             "no notification '" + id + "' visible to agent '" + who.agent_id + "'");
      return std::nullopt;
    case ClaimOutcome::HeldByOther:
      d.metrics.claims("held").Increment();
      refuse(res, 409, "already_claimed",
             "notification '" + id + "' was already claimed by agent '" + c->holder + "' (" +
                 c->action + ")",
             {{"claimed_by", c->holder}, {"claim_action", c->action}});
      return std::nullopt;
    case ClaimOutcome::Won:
      d.metrics.claims(c->first ? "won" : "repeat").Increment();
      break;
  }
  auto after = d.store.get(id);
  if (!after.ok() || !after->has_value()) {
    redisDown(res, after.ok() ? Error{ErrorKind::Internal, "claimed record vanished", id}
                              : after.error());
    return std::nullopt;
  }
  if (c->first) {
    if (before->has_value() && (*before)->at_ms > 0) {
      int64_t waited_ms = (*after)->claimed_at_ms - (*before)->at_ms;
      d.metrics.time_to_claim_seconds.Observe(static_cast<double>(std::max<int64_t>(waited_ms, 0)) /
                                              1000.0);
    }
    nlohmann::json bus = {
        {"event", "notification.claimed"},
        {"id", id},
        {"claimed_by", who.agent_id},
        {"action", std::string(actionName(action))},
        {"visible_to", before->has_value() ? (*before)->visible_to : std::vector<std::string>{}}};
    if (auto st = publishEvent(d.redis, bus.dump()); !st.ok()) {
      d.log.warn("event_publish_failed", {{"id", id}, {"error", st.error().describe()}});
    }
    d.log.info("notification_claimed",
               {{"id", id}, {"agent_id", who.agent_id}, {"action", actionName(action)}});
  }
  return **after;
}

}  // namespace callmesh::notification
