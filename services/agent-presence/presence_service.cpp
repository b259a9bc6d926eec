#include "services/agent-presence/presence_service.h"

#include "schemas/call.capnp.h"
#include "shared/codec/capnp_codec.h"
#include "shared/codec/event_ack.h"

namespace callmesh::agent_presence {

PresenceMetrics::PresenceMetrics(prometheus::Registry& registry)
    : events_family(prometheus::BuildCounter()
                        .Name("callmesh_agent_presence_call_events_total")
                        .Help("Call events applied to line state, by kind")
                        .Register(registry)),
      redis_errors(prometheus::BuildCounter()
                       .Name("callmesh_agent_presence_redis_errors_total")
                       .Help("Redis failures; the event stays unacknowledged and is re-sent")
                       .Register(registry)
                       .Add({})),
      decode_errors(prometheus::BuildCounter()
                        .Name("callmesh_agent_presence_decode_errors_total")
                        .Help("Frames that could not be decoded")
                        .Register(registry)
                        .Add({})) {}

Result<std::vector<uint8_t>> PresenceService::handleCallEvent(const zmq::message_t& payload) {
  auto decoded = codec::decode<schema::CallEvent>(payload.data(), payload.size(), "CallEvent");
  if (!decoded.ok()) {
    metrics_.decode_errors.Increment();
    return decoded.error();
  }
  auto ev = decoded.value()->root();
  std::string call_id = ev.getCallId();
  std::string event_id = ev.getEventId();
  Status st;
  const char* kind = "other";
  switch (ev.which()) {
    case schema::CallEvent::OFFERED:
      kind = "offered";
      st = ledger_.offered(call_id, ev.getDialed(), ev.getAtMs());
      break;
    case schema::CallEvent::ANSWERED:
      kind = "answered";
      st = ledger_.answered(call_id, ev.getAnswered().getAgentId(), ev.getAtMs());
      break;
    case schema::CallEvent::ENDED:
      kind = "ended";
      st = ledger_.ended(call_id, ev.getAtMs());
      break;
    case schema::CallEvent::LEG_RINGING:
      kind = "leg_ringing";
      break;
    case schema::CallEvent::LEG_FAILED:
      kind = "leg_failed";
      break;
    default:
      break;
  }
  if (!st.ok()) {
    metrics_.redis_errors.Increment();
    redis_healthy_ = false;
    log_.error("presence_redis_error",
               {{"call_id", call_id}, {"event", kind}, {"error", st.error().describe()}});
    return st.error();
  }
  redis_healthy_ = true;
  metrics_.event(kind).Increment();
  log_.info("call_event", {{"call_id", call_id}, {"event_id", event_id}, {"kind", kind}});
  return codec::encodeEventAck(event_id);
}

}  // namespace callmesh::agent_presence
