#include "services/notification/api_claim.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "services/notification/api_reply.h"
#include "services/notification/notification_service.h"

namespace callmesh::notification {

ApiReply notificationNotFound(const std::string& id, const Principal& who) {
  return refuse(404, "not_found",
                "no notification '" + id + "' visible to agent '" + who.agent_id + "'");
}

ClaimReply claimFor(ApiDeps& d, const std::string& id, const Principal& who, ClaimAction action) {
  ClaimReply out;
  auto before = d.store.get(id);
  if (!before.ok()) {
    out.refusal = redisDown(d.log, before.error());
    return out;
  }
  auto c = d.store.claim(id, who.agent_id, action, d.clock.nowMs());
  if (!c.ok()) {
    out.refusal = redisDown(d.log, c.error());
    return out;
  }
  switch (c->outcome) {
    case ClaimOutcome::NotFound:
      d.metrics.claims("not_found").Increment();
      out.refusal = notificationNotFound(id, who);
      return out;
    case ClaimOutcome::NotSelected:
      d.metrics.claims("not_selected").Increment();
      out.refusal =
          refuse(403, "not_selected",
                 "agent '" + who.agent_id + "' was not selected for notification '" + id +
                     "': every user sees an unclaimed missed call, only the number's selected "
                     "agents may act on it (seed 004)");
      return out;
    case ClaimOutcome::HeldByOther:
      d.metrics.claims("held").Increment();
      out.refusal = refuse(409, "already_claimed",
                           "notification '" + id + "' was already claimed by agent '" + c->holder +
                               "' (" + c->action + ")",
                           {{"claimed_by", c->holder}, {"claim_action", c->action}});
      return out;
    case ClaimOutcome::Won:
      d.metrics.claims(c->first ? "won" : "repeat").Increment();
      break;
  }
  auto after = d.store.get(id);
  if (!after.ok() || !after->has_value()) {
    out.refusal =
        redisDown(d.log, after.ok() ? Error{ErrorKind::Internal, "claimed record vanished", id}
                                    : after.error());
    return out;
  }
  if (c->first) {
    const auto& was = *before;
    if (was.has_value() && was->at_ms > 0) {
      int64_t waited_ms = (*after)->claimed_at_ms - was->at_ms;
      d.metrics.time_to_claim_seconds.Observe(static_cast<double>(std::max<int64_t>(waited_ms, 0)) /
                                              1000.0);
    }
    bool missed = was.has_value() && was->kind == NotificationKind::MissedCall;
    nlohmann::json bus = {
        {"event", "notification.claimed"},
        {"id", id},
        {"claimed_by", who.agent_id},
        {"action", std::string(actionName(action))},
        {"seen_by_all", missed},  // seed 004: every user saw it, every other user loses it
        {"visible_to", was.has_value() ? was->visible_to : std::vector<std::string>{}}};
    if (auto st = publishEvent(d.redis, bus.dump()); !st.ok()) {
      d.log.warn("event_publish_failed", {{"id", id}, {"error", st.error().describe()}});
    }
    d.log.info("notification_claimed",
               {{"id", id}, {"agent_id", who.agent_id}, {"action", actionName(action)}});
  }
  out.won = true;
  out.record = **after;
  return out;
}

}  // namespace callmesh::notification
