#pragma once

#include <vector>

#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <zmq.hpp>

#include "schemas/call.capnp.h"
#include "services/notification/call_record_store.h"
#include "services/notification/contact_book.h"
#include "services/notification/notification_store.h"
#include "services/notification/number_settings.h"
#include "services/notification/outbound_outcome.h"
#include "shared/base/result.h"
#include "shared/log/logger.h"
#include "shared/redis/redis_client.h"

namespace callmesh::notification {

struct NotificationMetrics {
  explicit NotificationMetrics(prometheus::Registry& registry);
  prometheus::Counter& missed_calls;  // missed-call records created
  prometheus::Counter& duplicates;    // re-delivered events that changed nothing
  prometheus::Counter& events;
  prometheus::Counter& redis_errors;
  prometheus::Counter& decode_errors;
  prometheus::Counter& answered_records;       // answered calls from unknown callers
  prometheus::Counter& texts;                  // texts from unknown numbers
  prometheus::Counter& known_callers;          // calls/texts from contacts: no notification
  prometheus::Counter& index_entries_trimmed;  // by the periodic pass (index_trim.h)
  prometheus::Family<prometheus::Counter>& claims_family;
  prometheus::Counter& claims(const char* outcome) {
    return claims_family.Add({{"outcome", outcome}});
  }
  // callmesh_notification_call_records_total{outcome}: call detail records written (the label is
  // one of kCallOutcomes).
  prometheus::Family<prometheus::Counter>& records_family;
  prometheus::Counter& outbound_outcomes;  // outcomes written back to the outbound history
};

// What one call event means for follow-up (seed 004_ee4e98a6a7f6781b.txt), decided from plain
// values so it is unit-testable:
//   voice, ended unanswered (not rejected before ringing), unknown caller -> missed call, visible
//     to the agents rung (CallEnd.rungLegs agentId), else the number's selected agents
//   voice, ended answered, unknown caller -> answered-call record for the answering agent only
//   text (CallKind.text) ended (delivered or not, not rejected), unknown number -> text
//     notification for the agents it was routed to, else the number's selected agents
// Anything else: no record.
struct FollowUpInput {
  bool voice = true;
  bool ended = false;
  bool offered = false;
  bool answered = false;
  bool rejected = false;
  bool known_caller = false;
  std::string answered_agent;            // agent id, else the answering number
  std::vector<std::string> rung_agents;  // agent ids of rung legs (may be empty)
  std::vector<std::string> rung;         // per rung leg: agent id, else number
};
std::optional<NotificationRecord> followUpFor(const FollowUpInput& in,
                                              const config::CompanyNumberSettings& number);

// Takes CallEvents (ends only): writes each call's detail record (issue 20), writes an outbound
// call's outcome back to the outbound history (seed 002), turns the ends above into follow-up
// records; acks only after Redis holds all of it, and announces new records on the event channel
// (event_hub.h) for live API streams. Every step is idempotent on the Call-ID, so a re-sent event
// changes nothing that is already there.
// Thread ownership: the poll-loop thread (its own RedisClient).
class NotificationService {
 public:
  NotificationService(CallRecordStore& records, NotificationStore& store, ContactBook& contacts,
                      NumberSettingsBook& numbers, redis::RedisClient& redis,
                      NotificationMetrics& metrics, Logger& log)
      : records_(records),
        outcomes_(redis),
        store_(store),
        contacts_(contacts),
        numbers_(numbers),
        redis_(redis),
        metrics_(metrics),
        log_(log) {}

  Result<std::vector<uint8_t>> handleCallEvent(const zmq::message_t& payload);
  // A CallEventBatch (the ingress sends one per publishing tick): the call records of all its
  // ends first, in two Redis round trips for the whole batch (CallRecordStore::writeMany)
  // instead of two per call, then every event in order as handleCallEvent does the rest. Acked
  // (the last event's id) only when all of it is in Redis; any failure fails the whole batch,
  // which the ingress sends again (every step is idempotent).
  Result<std::vector<uint8_t>> handleCallEventBatch(const zmq::message_t& payload);
  bool redisHealthy() const { return redis_healthy_; }

 private:
  Error fail(const std::string& call_id, const Error& e);
  // One event, read where it lies (a batch's events are not copied into frames of their own).
  // `recorded`: the event's call record was written with its batch's.
  Status handleEvent(schema::CallEvent::Reader ev, bool recorded);
  Status recordCalls(const std::vector<CallRecord>& records);

  CallRecordStore& records_;
  OutboundOutcomes outcomes_;
  NotificationStore& store_;
  ContactBook& contacts_;
  NumberSettingsBook& numbers_;
  redis::RedisClient& redis_;
  NotificationMetrics& metrics_;
  Logger& log_;
  bool redis_healthy_ = true;
};

// PUBLISHes one JSON event on kEventChannel; failures are the caller's to count (the record is
// already durable; only the live push is lost).
Status publishEvent(redis::RedisClient& redis, const std::string& json);

}  // namespace callmesh::notification
