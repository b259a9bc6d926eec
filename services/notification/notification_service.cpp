#include "services/notification/notification_service.h"

#include <nlohmann/json.hpp>

#include "schemas/call.capnp.h"
#include "services/notification/api_json.h"
#include "services/notification/event_hub.h"
#include "shared/codec/capnp_codec.h"
#include "shared/codec/event_ack.h"
#include "shared/codec/follow_up_scope.h"

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
                            "Frames that could not be decoded")),
      answered_records(counter(registry, "callmesh_notification_answered_records_total",
                               "Answered calls from unknown callers recorded for their agent")),
      texts(counter(registry, "callmesh_notification_texts_total",
                    "Texts from unknown numbers recorded")),
      known_callers(counter(registry, "callmesh_notification_known_callers_total",
                            "Calls and texts from contacts (no notification)")),
      index_entries_trimmed(
          counter(registry, "callmesh_notification_index_entries_trimmed_total",
                  "Index entries past retention removed by the periodic pass (idle indexes)")),
      claims_family(
          prometheus::BuildCounter()
              .Name("callmesh_notification_claims_total")
              .Help("Claim attempts through the API by outcome (won, repeat, held, not_found)")
              .Register(registry)),
      records_family(prometheus::BuildCounter()
                         .Name("callmesh_notification_call_records_total")
                         .Help("Call detail records written, by outcome (re-sent ends not counted)")
                         .Register(registry)),
      outbound_outcomes(counter(registry, "callmesh_notification_outbound_outcomes_total",
                                "Outbound calls' outcomes written back to the outbound history")) {}

std::optional<NotificationRecord> followUpFor(const FollowUpInput& in,
                                              const config::CompanyNumberSettings& number) {
  if (in.known_caller) return std::nullopt;
  NotificationRecord r;
  r.source = number.source;
  r.tag = number.tag;
  r.rung = in.rung;
  auto audience = in.rung_agents.empty() ? number.selected_agents : in.rung_agents;
  if (!in.voice) {
    if (!in.ended || in.rejected) return std::nullopt;
    r.kind = NotificationKind::Text;
    r.visible_to = audience;
    return r;
  }
  if (!in.ended || in.rejected) return std::nullopt;
  if (in.answered) {
    if (in.answered_agent.empty()) return std::nullopt;
    r.kind = NotificationKind::AnsweredCall;
    r.visible_to = {in.answered_agent};
    r.claimed = true;
    r.claimed_by = in.answered_agent;
    r.claim_action = "answered";
    return r;
  }
  r.kind = NotificationKind::MissedCall;
  r.visible_to = audience;
  return r;
}

Status publishEvent(redis::RedisClient& redis, const std::string& json) {
  auto r = redis.command({"PUBLISH", kEventChannel, json});
  if (!r.ok()) return r.error();
  return {};
}

Error NotificationService::fail(const std::string& call_id, const Error& e) {
  metrics_.redis_errors.Increment();
  redis_healthy_ = false;
  log_.error("notification_redis_error", {{"call_id", call_id}, {"error", e.describe()}});
  return e;
}

// The call detail records, and outbound calls' outcomes for the router's next choice.
Status NotificationService::recordCalls(const std::vector<CallRecord>& records) {
  if (records.empty()) return {};
  auto written = records_.writeMany(records);
  if (!written.ok()) return written.error();
  for (size_t i = 0; i < records.size(); ++i) {
    const CallRecord& record = records[i];
    if ((*written)[i]) {
      metrics_.records_family.Add({{"outcome", record.outcome}}).Increment();
    } else {
      metrics_.duplicates.Increment();
    }
    if (record.rule == "outbound_caller_id" && !record.project.empty() &&
        !record.outbound_callee.empty()) {
      auto wrote = outcomes_.record(record.outbound_callee, record.project, record.outcome,
                                    record.ended_at_ms);
      if (!wrote.ok()) return wrote.error();
      if (*wrote) metrics_.outbound_outcomes.Increment();
    }
  }
  return {};
}

Result<std::vector<uint8_t>> NotificationService::handleCallEventBatch(
    const zmq::message_t& payload) {
  auto decoded =
      codec::decode<schema::CallEventBatch>(payload.data(), payload.size(), "CallEventBatch");
  if (!decoded.ok()) {
    metrics_.decode_errors.Increment();
    return decoded.error();
  }
  std::vector<CallRecord> records;
  capnp::List<schema::CallEvent>::Reader events;
  try {
    events = decoded.value()->root().getEvents();
    for (auto ev : events) {
      if (ev.which() == schema::CallEvent::ENDED) records.push_back(callRecordOf(ev));
    }
  } catch (const kj::Exception& e) {  // a pointer of the wrong type in a well-formed frame
    metrics_.decode_errors.Increment();
    return Error{ErrorKind::InvalidInput, e.getDescription().cStr(),
                 "decode CallEventBatch.events"};
  }
  if (auto st = recordCalls(records); !st.ok()) {
    return fail(std::to_string(records.size()) + " call(s) of a batch", st.error());
  }
  redis_healthy_ = true;
  // Every event in order, read in place: copying each into a message of its own (a fresh
  // builder, its flat encoding and a frame) cost more than handling it, 4-5 events a call.
  std::string last_id;
  try {
    for (auto ev : events) {
      if (auto st = handleEvent(ev, /*recorded=*/true); !st.ok()) return st.error();
      last_id = ev.getEventId();
    }
  } catch (const kj::Exception& e) {
    metrics_.decode_errors.Increment();
    return Error{ErrorKind::InvalidInput, e.getDescription().cStr(),
                 "decode CallEventBatch.events[]"};
  }
  return codec::encodeEventAck(last_id);
}

Result<std::vector<uint8_t>> NotificationService::handleCallEvent(const zmq::message_t& payload) {
  auto decoded = codec::decode<schema::CallEvent>(payload.data(), payload.size(), "CallEvent");
  if (!decoded.ok()) {
    metrics_.decode_errors.Increment();
    return decoded.error();
  }
  auto ev = decoded.value()->root();
  try {
    if (auto st = handleEvent(ev, /*recorded=*/false); !st.ok()) return st.error();
    auto id = ev.getEventId();
    return codec::encodeEventAck(std::string_view(id.cStr(), id.size()));
  } catch (const kj::Exception& e) {
    metrics_.decode_errors.Increment();
    return Error{ErrorKind::InvalidInput, e.getDescription().cStr(), "decode CallEvent"};
  }
}

Status NotificationService::handleEvent(schema::CallEvent::Reader ev, bool recorded) {
  metrics_.events.Increment();
  bool is_end = ev.which() == schema::CallEvent::ENDED;
  bool is_offer = ev.which() == schema::CallEvent::OFFERED;
  // Only the end matters: it names every leg (agent) the call or text was routed to.
  if (!is_end) return {};
  std::string call_id = ev.getCallId();
  bool voice = ev.getKind() == schema::CallKind::VOICE;
  if (!recorded) {
    if (auto st = recordCalls({callRecordOf(ev)}); !st.ok()) return fail(call_id, st.error());
    redis_healthy_ = true;
  }

  FollowUpInput in;
  in.voice = voice;
  in.ended = is_end;
  in.offered = is_offer;
  std::string number(ev.getDialed());
  if (is_end) {
    auto end = ev.getEnded();
    in.answered = end.getAnswered();
    in.rejected = end.getReason() == schema::EndReason::REJECTED;
    if (end.getNumber().size()) number = end.getNumber();
    if (in.answered) {
      auto by = end.getAnsweredBy();
      // seed 004: the record is for the agent who answered; a receiving number without an
      // agent (a plain tracking-number forward) has nobody to show it to.
      in.answered_agent = by.getAgentId();
    }
    for (auto leg : end.getRungLegs()) {
      if (leg.getAgentId().size()) in.rung_agents.emplace_back(leg.getAgentId());
      in.rung.emplace_back(leg.getAgentId().size() ? leg.getAgentId() : leg.getNumber());
    }
  }
  // Every end is recorded above; only a rule that asks for follow-up gets a follow-up record.
  auto ended = ev.getEnded();
  if (!codec::endMayNeedFollowUp(
          in.answered, in.answered_agent, ended.getReason(),
          std::string_view(ended.getRule().cStr(), ended.getRule().size()))) {
    return {};
  }
  std::string caller(ev.getCaller());
  auto known = contacts_.knownNumber(caller);
  if (!known.ok()) return fail(call_id, known.error());
  in.known_caller = known.value();
  auto settings = numbers_.effective(number);
  if (!settings.ok()) return fail(call_id, settings.error());
  auto record = followUpFor(in, settings.value());
  if (!record) {
    if (in.known_caller) metrics_.known_callers.Increment();
    return {};
  }
  record->id = call_id;
  record->number = number;
  record->caller = caller;
  record->at_ms = ev.getAtMs();
  auto created = store_.record(*record);
  if (!created.ok()) return fail(call_id, created.error());
  redis_healthy_ = true;
  // A re-sent end was counted as a duplicate when its call record was found already there.
  if (!created.value()) return {};
  switch (record->kind) {
    case NotificationKind::MissedCall:
      metrics_.missed_calls.Increment();
      break;
    case NotificationKind::AnsweredCall:
      metrics_.answered_records.Increment();
      break;
    case NotificationKind::Text:
      metrics_.texts.Increment();
      break;
  }
  nlohmann::json bus = {{"event", "notification.created"}, {"notification", recordJson(*record)}};
  if (auto st = publishEvent(redis_, bus.dump()); !st.ok()) {
    log_.warn("event_publish_failed", {{"call_id", call_id}, {"error", st.error().describe()}});
  }
  log_.info("notification_recorded", {{"call_id", call_id},
                                      {"kind", kindName(record->kind)},
                                      {"number", number},
                                      {"caller", caller}});
  return {};
}

}  // namespace callmesh::notification
