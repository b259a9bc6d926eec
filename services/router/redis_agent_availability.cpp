#include "services/router/redis_agent_availability.h"

#include "services/router/redis_fields.h"
#include "shared/redis/keys.h"

namespace callmesh::router {

AgentStatus RedisAgentAvailability::status(const std::string& agent_id) const {
  const AgentStatus kFailOpen{AgentPresence::Available, 0};
  if (!gate_.allows()) {
    counters_.unreachable.Increment();
    return kFailOpen;
  }
  auto reply = redis_.command({"HMGET", redis::presence_keys::agent(agent_id), "availability",
                               "on_call", "ringing", "idle_since_ms"});
  if (!reply.ok()) {
    gate_.failed();
    counters_.unreachable.Increment();
    return kFailOpen;
  }
  if (reply->type != redis::RedisReply::Type::Array || reply->elements.size() != 4) {
    // WRONGTYPE and the like: the key holds something else. Not a reason to stop ringing them.
    counters_.bad_data.Increment();
    return kFailOpen;
  }
  const auto& f = reply->elements;
  bool bad = false;
  AgentStatus out{AgentPresence::Available, 0};
  auto on_call = integerField(f[1], bad);
  auto ringing = integerField(f[2], bad);
  out.idle_since_ms = integerField(f[3], bad);
  const std::string* availability = textField(f[0]);
  if (availability == nullptr || *availability == "available") {
    out.presence = AgentPresence::Available;
  } else if (*availability == "away" || *availability == "offline" || *availability == "dnd") {
    out.presence = AgentPresence::Unavailable;
  } else {
    bad = true;  // a value the key contract does not list: read as absent (available)
  }
  if (out.presence == AgentPresence::Available && (on_call > 0 || ringing > 0)) {
    out.presence = AgentPresence::Busy;
  }
  if (bad) counters_.bad_data.Increment();
  return out;
}

}  // namespace callmesh::router
