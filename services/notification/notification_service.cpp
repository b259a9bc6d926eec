#include "services/notification/notification_service.h"

#include "schemas/call.capnp.h"
#include "shared/codec/capnp_codec.h"
#include "shared/codec/event_ack.h"

namespace callmesh::notification {

namespace {
prometheus::Counter& counter(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}
}  // namespace

NotificationMetrics::NotificationMetrics(prometheus::Registry& registry)
    : missed_calls(counter(registry, "callmesh_notification_missed_calls_total",
                           "Missed-call records created (one per unanswered call)")),
      duplicates(counter(registry, "callmesh_notification_duplicate_events_total",
                         "Re-delivered events that found their record already there")),
      events(counter(registry, "callmesh_notification_call_events_total", "Call events received")),
      redis_errors(counter(registry, "callmesh_notification_redis_errors_total",
                           "Redis failures; the event stays unacknowledged and is re-sent")),
      decode_errors(counter(registry, "callmesh_notification_decode_errors_total",
                            "Frames that could not be decoded")) {}

Result<std::vector<uint8_t>> NotificationService::handleCallEvent(const zmq::message_t& payload) {
  auto decoded = codec::decode<schema::CallEvent>(payload.data(), payload.size(), "CallEvent");
  if (!decoded.ok()) {
    metrics_.decode_errors.Increment();
    return decoded.error();
  }
  auto ev = decoded.value()->root();
  metrics_.events.Increment();
  std::string event_id = ev.getEventId();
  if (ev.which() == schema::CallEvent::ENDED && !ev.getEnded().getAnswered() &&
      ev.getKind() == schema::CallKind::VOICE &&
      ev.getEnded().getReason() != schema::EndReason::REJECTED) {
    auto end = ev.getEnded();
    MissedCall call;
    call.call_id = ev.getCallId();
    call.number =
        end.getNumber().size() ? std::string(end.getNumber()) : std::string(ev.getDialed());
    call.caller = ev.getCaller();
    call.ended_at_ms = ev.getAtMs();
    for (auto leg : end.getRungLegs()) {
      call.rung.emplace_back(leg.getAgentId().size() ? leg.getAgentId() : leg.getNumber());
    }
    auto created = ledger_.record(call);
    if (!created.ok()) {
      metrics_.redis_errors.Increment();
      redis_healthy_ = false;
      log_.error("notification_redis_error",
                 {{"call_id", call.call_id}, {"error", created.error().describe()}});
      return created.error();
    }
    redis_healthy_ = true;
    if (created.value()) {
      metrics_.missed_calls.Increment();
      log_.info("missed_call_recorded",
                {{"call_id", call.call_id}, {"number", call.number}, {"caller", call.caller}});
    } else {
      metrics_.duplicates.Increment();
    }
  }
  return codec::encodeEventAck(event_id);
}

}  // namespace callmesh::notification
