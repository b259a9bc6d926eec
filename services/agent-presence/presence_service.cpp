#include "services/agent-presence/presence_service.h"

#include <algorithm>

#include <capnp/message.h>

#include <nlohmann/json.hpp>

#include "schemas/call.capnp.h"
#include "schemas/presence.capnp.h"
#include "services/agent-presence/working_hours.h"
#include "shared/codec/availability_names.h"
#include "shared/codec/capnp_codec.h"
#include "shared/codec/event_ack.h"
#include "shared/redis/keys.h"

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
                     .Add({})),
      failovers(prometheus::BuildCounter()
                    .Name("callmesh_agent_presence_redis_failovers_total")
                    .Help("Moves of the Redis client to a new primary (each reconciles line state)")
                    .Register(registry)
                    .Add({})),
      failover_reconciles(prometheus::BuildCounter()
                              .Name("callmesh_agent_presence_failover_reconciles_total")
                              .Help("Line-state rebuilds done because of a Redis failover")
                              .Register(registry)
                              .Add({})) {}

void PresenceService::announce(const std::vector<std::string>& agents) {
  // An agent changed by several events of a batch is announced once: every announcement is read
  // after the whole batch was applied, so repeats would carry the same state.
  std::vector<std::string> unique;
  unique.reserve(agents.size());
  for (const auto& a : agents) {
    if (std::find(unique.begin(), unique.end(), a) == unique.end()) unique.push_back(a);
  }
  if (unique.empty()) return;
  auto records = ledger_.agents(unique);
  if (!records.ok()) return;
  int64_t now = clock_.nowMs();
  std::vector<std::vector<std::string>> publishes;
  publishes.reserve(records->size());
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
    publishes.push_back({"PUBLISH", redis::notification_keys::kEventChannel, j.dump()});
  }
  auto r = redis_.pipeline(publishes);
  for (size_t i = 0; i < unique.size(); ++i) {
    if (!r.ok() || i >= r->size() || (*r)[i].type == redis::RedisReply::Type::Error) {
      log_.warn("event_publish_failed", {{"agent_id", unique[i]}});
    }
  }
}

Result<PresenceService::ReceivedEvent> PresenceService::receive(schema::CallEvent::Reader ev) {
  // A frame can be well-formed Cap'n Proto yet hold a pointer of the wrong type; the typed
  // getters then throw (tools/fuzz/capnp_decode_fuzz). Here that becomes an error value.
  try {
    ReceivedEvent out;
    out.event_id = ev.getEventId();
    out.call_id = ev.getCallId();
    if (ev.getKind() == schema::CallKind::TEXT) {
      out.kind = "text";
      out.text = true;
      return out;
    }
    LineEvent line;
    line.call_id = out.call_id;
    line.at_ms = ev.getAtMs();
    switch (ev.which()) {
      case schema::CallEvent::OFFERED:
        out.kind = "offered";
        line.kind = LineEvent::Kind::Offered;
        line.number = ev.getDialed();
        line.caller = ev.getCaller();
        line.rule = ev.getRule();
        break;
      case schema::CallEvent::LEG_RINGING:
        out.kind = "leg_ringing";
        line.kind = LineEvent::Kind::LegRinging;
        line.agent_id = ev.getLegRinging().getAgentId();
        break;
      case schema::CallEvent::LEG_FAILED:
        out.kind = "leg_failed";
        line.kind = LineEvent::Kind::LegFailed;
        line.agent_id = ev.getLegFailed().getLeg().getAgentId();
        break;
      case schema::CallEvent::ANSWERED:
        out.kind = "answered";
        line.kind = LineEvent::Kind::Answered;
        line.agent_id = ev.getAnswered().getAgentId();
        break;
      case schema::CallEvent::ENDED:
        out.kind = "ended";
        line.kind = LineEvent::Kind::Ended;
        break;
      default:
        return out;
    }
    out.line = std::move(line);
    return out;
  } catch (const kj::Exception& e) {
    return Error{ErrorKind::InvalidInput, e.getDescription().cStr(), "decode CallEvent"};
  }
}

Result<std::vector<uint8_t>> PresenceService::applyCallEvents(
    const std::vector<ReceivedEvent>& events) {
  std::vector<LineEvent> lines;
  lines.reserve(events.size());
  for (const auto& e : events) {
    if (e.line) lines.push_back(*e.line);
  }
  auto outcomes = ledger_.applyEvents(lines);
  if (!outcomes.ok()) {
    // No reply at all: nothing is known to be applied; the whole batch comes again.
    metrics_.redis_errors.Increment();
    redis_healthy_ = false;
    log_.error("presence_redis_error", {{"call_id", lines.front().call_id},
                                        {"events", static_cast<uint64_t>(lines.size())},
                                        {"error", outcomes.error().describe()}});
    return outcomes.error();
  }
  std::optional<Error> failed;
  std::vector<std::string> changed;
  size_t next_line = 0;
  for (const auto& e : events) {
    if (e.line) {
      const auto& outcome = (*outcomes)[next_line++];
      if (!outcome.ok()) {
        metrics_.redis_errors.Increment();
        log_.error(
            "presence_redis_error",
            {{"call_id", e.call_id}, {"event", e.kind}, {"error", outcome.error().describe()}});
        if (!failed) failed = outcome.error();
        continue;
      }
      changed.insert(changed.end(), outcome->begin(), outcome->end());
    }
    metrics_.event(e.kind).Increment();
    if (!e.text) {
      log_.debug("call_event",
                 {{"call_id", e.call_id}, {"event_id", e.event_id}, {"kind", e.kind}});
    }
  }
  if (!lines.empty()) redis_healthy_ = !failed;
  announce(changed);
  if (failed) return *failed;
  return codec::encodeEventAck(events.empty() ? std::string() : events.back().event_id);
}

Result<std::vector<uint8_t>> PresenceService::handleCallEvent(const zmq::message_t& payload) {
  auto decoded = codec::decode<schema::CallEvent>(payload.data(), payload.size(), "CallEvent");
  if (!decoded.ok()) {
    metrics_.decode_errors.Increment();
    return decoded.error();
  }
  auto event = receive(decoded.value()->root());
  if (!event.ok()) {
    metrics_.decode_errors.Increment();
    return event.error();
  }
  return applyCallEvents({std::move(event.value())});
}

Result<std::vector<uint8_t>> PresenceService::handleCallEventBatch(const zmq::message_t& payload) {
  auto decoded =
      codec::decode<schema::CallEventBatch>(payload.data(), payload.size(), "CallEventBatch");
  if (!decoded.ok()) {
    metrics_.decode_errors.Increment();
    return decoded.error();
  }
  std::vector<ReceivedEvent> events;
  try {
    auto list = decoded.value()->root().getEvents();
    events.reserve(list.size());
    for (auto ev : list) {
      auto event = receive(ev);
      if (!event.ok()) {
        metrics_.decode_errors.Increment();
        return event.error();
      }
      events.push_back(std::move(event.value()));
    }
  } catch (const kj::Exception& e) {
    metrics_.decode_errors.Increment();
    return Error{ErrorKind::InvalidInput, e.getDescription().cStr(),
                 "decode CallEventBatch.events"};
  }
  return applyCallEvents(events);
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
  codec::FrameBuilder mb;
  auto reply = mb.initRoot<schema::PresenceReply>();
  if (req.which() == schema::PresenceRequest::UPDATE) {
    auto u = req.getUpdate();
    std::string id = u.getAgentId();
    if (id.empty()) {
      metrics_.request("error").Increment();
      reply.setError("update: agentId is empty");
      return codec::encodeToBytes(mb);
    }
    auto st =
        ledger_.setAvailability(id, codec::availabilityName(u.getAvailability()), clock_.nowMs());
    if (!st.ok()) {
      metrics_.request("error").Increment();
      reply.setError(st.error().describe());
      return codec::encodeToBytes(mb);
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
    return codec::encodeToBytes(mb);
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
  return codec::encodeToBytes(mb);
}

void PresenceService::noticeFailover() {
  if (!failover_.observe(redis_.primaryEpoch(), clock_.steadyMs())) return;
  metrics_.failovers.Increment();
  log_.warn("redis_primary_changed", {{"epoch", redis_.primaryEpoch()}});
}

void PresenceService::reconcileAfterFailover(int64_t grace_ms) {
  if (!follow_failovers_) return;
  noticeFailover();
  if (!failover_.due(clock_.steadyMs())) return;
  auto st = reconcile(grace_ms, ReconcileScope::LiveSets);
  if (st.ok()) metrics_.failover_reconciles.Increment();
  failover_.ran(st.ok(), clock_.steadyMs());
}

void PresenceService::periodicReconcile(int64_t grace_ms) {
  if (follow_failovers_) {
    noticeFailover();
    if (failover_.settling()) return;
  }
  (void)reconcile(grace_ms, ReconcileScope::LiveSets);
}

Status PresenceService::reconcile(int64_t grace_ms, ReconcileScope scope) {
  auto report = reconciler_.run(clock_.nowMs(), grace_ms, scope);
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
