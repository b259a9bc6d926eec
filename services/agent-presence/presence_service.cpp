#include "services/agent-presence/presence_service.h"

#include <capnp/message.h>

#include <nlohmann/json.hpp>

#include "schemas/call.capnp.h"
#include "schemas/presence.capnp.h"
#include "services/agent-presence/working_hours.h"
#include "shared/codec/availability_names.h"
#include "shared/codec/capnp_codec.h"
#include "shared/codec/event_ack.h"

namespace callmesh::agent_presence {

namespace {

std::vector<uint8_t> bytesOf(capnp::MallocMessageBuilder& mb) {
  auto words = codec::encode(mb);
  auto bytes = words.asBytes();
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

}  // namespace

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
                        .Add({})),
      requests_family(prometheus::BuildCounter()
                          .Name("callmesh_agent_presence_requests_total")
                          .Help("Presence requests served, by kind (query, update, error)")
                          .Register(registry)),
      stale_calls_ended(prometheus::BuildCounter()
                            .Name("callmesh_agent_presence_stale_calls_ended_total")
                            .Help("Calls ended by reconcile: no end event and no slot lease")
                            .Register(registry)
                            .Add({})),
      reconciles(prometheus::BuildCounter()
                     .Name("callmesh_agent_presence_reconciles_total")
                     .Help("Line-state rebuilds from the live calls in Redis")
                     .Register(registry)
                     .Add({})) {}

void PresenceService::announce(const std::vector<std::string>& agents) {
  if (agents.empty()) return;
  auto records = ledger_.agents(agents);
  if (!records.ok()) return;
  int64_t now = clock_.nowMs();
  for (const auto& a : *records) {
    auto h = hours_.find(a.agent_id);
    bool working = h == hours_.end() || inWorkingHours(h->second, now);
    nlohmann::json j = {{"event", "presence.changed"},
                        {"agent",
                         {{"agent_id", a.agent_id},
                          {"availability", a.availability},
                          {"on_call", a.on_call},
                          {"ringing", a.ringing},
                          {"changed_at_ms", a.changed_at_ms},
                          {"idle_since_ms", a.idle_since_ms},
                          {"in_working_hours", working}}}};
    auto r = redis_.command({"PUBLISH", "cm:events", j.dump()});
    if (!r.ok()) log_.warn("event_publish_failed", {{"agent_id", a.agent_id}});
  }
}

Result<std::vector<uint8_t>> PresenceService::handleCallEvent(const zmq::message_t& payload) {
  auto decoded = codec::decode<schema::CallEvent>(payload.data(), payload.size(), "CallEvent");
  if (!decoded.ok()) {
    metrics_.decode_errors.Increment();
    return decoded.error();
  }
  auto ev = decoded.value()->root();
  std::string call_id = ev.getCallId();
  std::string event_id = ev.getEventId();
  if (ev.getKind() == schema::CallKind::TEXT) {
    // Texts occupy no line: nothing rings, nobody is on a call.
    metrics_.event("text").Increment();
    return codec::encodeEventAck(event_id);
  }
  Status st;
  Result<std::vector<std::string>> changed = std::vector<std::string>{};
  const char* kind = "other";
  switch (ev.which()) {
    case schema::CallEvent::OFFERED:
      kind = "offered";
      st = ledger_.offered(call_id, ev.getDialed(), ev.getAtMs());
      break;
    case schema::CallEvent::LEG_RINGING:
      kind = "leg_ringing";
      changed = ledger_.legRinging(call_id, ev.getLegRinging().getAgentId(), ev.getAtMs());
      break;
    case schema::CallEvent::LEG_FAILED:
      kind = "leg_failed";
      changed = ledger_.legFailed(call_id, ev.getLegFailed().getLeg().getAgentId(), ev.getAtMs());
      break;
    case schema::CallEvent::ANSWERED:
      kind = "answered";
      changed = ledger_.answered(call_id, ev.getAnswered().getAgentId(), ev.getAtMs());
      break;
    case schema::CallEvent::ENDED:
      kind = "ended";
      changed = ledger_.ended(call_id, ev.getAtMs());
      break;
    default:
      break;
  }
  if (st.ok() && !changed.ok()) st = changed.error();
  if (!st.ok()) {
    metrics_.redis_errors.Increment();
    redis_healthy_ = false;
    log_.error("presence_redis_error",
               {{"call_id", call_id}, {"event", kind}, {"error", st.error().describe()}});
    return st.error();
  }
  redis_healthy_ = true;
  announce(changed.value());
  metrics_.event(kind).Increment();
  log_.info("call_event", {{"call_id", call_id}, {"event_id", event_id}, {"kind", kind}});
  return codec::encodeEventAck(event_id);
}

Result<std::vector<uint8_t>> PresenceService::handlePresence(const zmq::message_t& payload) {
  auto decoded =
      codec::decode<schema::PresenceRequest>(payload.data(), payload.size(), "PresenceRequest");
  if (!decoded.ok()) {
    metrics_.decode_errors.Increment();
    return decoded.error();
  }
  auto req = decoded.value()->root();
  std::vector<std::string> ids;
  capnp::MallocMessageBuilder mb;
  auto reply = mb.initRoot<schema::PresenceReply>();
  if (req.which() == schema::PresenceRequest::UPDATE) {
    auto u = req.getUpdate();
    std::string id = u.getAgentId();
    if (id.empty()) {
      metrics_.request("error").Increment();
      reply.setError("update: agentId is empty");
      return bytesOf(mb);
    }
    auto st =
        ledger_.setAvailability(id, codec::availabilityName(u.getAvailability()), clock_.nowMs());
    if (!st.ok()) {
      metrics_.request("error").Increment();
      reply.setError(st.error().describe());
      return bytesOf(mb);
    }
    metrics_.request("update").Increment();
    log_.info("availability_set",
              {{"agent_id", id}, {"availability", codec::availabilityName(u.getAvailability())}});
    announce({id});
    ids.push_back(id);
  } else {
    metrics_.request("query").Increment();
    for (auto id : req.getQuery()) ids.emplace_back(id);
  }
  auto records = ledger_.agents(ids);
  if (!records.ok()) {
    redis_healthy_ = false;
    reply.setError(records.error().describe());
    return bytesOf(mb);
  }
  int64_t now = clock_.nowMs();
  auto list = reply.initAgents(static_cast<unsigned>(records->size()));
  for (size_t i = 0; i < records->size(); ++i) {
    const auto& a = (*records)[i];
    auto s = list[static_cast<unsigned>(i)];
    s.setAgentId(a.agent_id);
    s.setAvailability(codec::availabilityFromName(a.availability));
    s.setOnCall(static_cast<uint32_t>(std::max<int64_t>(0, a.on_call)));
    s.setRinging(static_cast<uint32_t>(std::max<int64_t>(0, a.ringing)));
    s.setChangedAtMs(a.changed_at_ms);
    s.setIdleSinceMs(a.idle_since_ms);
    auto h = hours_.find(a.agent_id);
    s.setInWorkingHours(h == hours_.end() || inWorkingHours(h->second, now));
  }
  return bytesOf(mb);
}

Status PresenceService::reconcile(int64_t grace_ms) {
  auto report = ledger_.reconcile(clock_.nowMs(), grace_ms);
  if (!report.ok()) {
    metrics_.redis_errors.Increment();
    redis_healthy_ = false;
    log_.error("reconcile_failed", {{"error", report.error().describe()}});
    return report.error();
  }
  redis_healthy_ = true;
  metrics_.reconciles.Increment();
  metrics_.stale_calls_ended.Increment(static_cast<double>(report->stale_calls_ended));
  log_.info("reconciled", {{"live_calls", report->live_calls},
                           {"stale_calls_ended", report->stale_calls_ended},
                           {"agents", report->agents_rewritten}});
  return {};
}

}  // namespace callmesh::agent_presence
