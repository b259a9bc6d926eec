#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <zmq.hpp>

#include "schemas/call.capnp.h"
#include "services/agent-presence/failover_reconcile.h"
#include "services/agent-presence/presence_ledger.h"
#include "services/agent-presence/presence_reconcile.h"
#include "shared/base/clock.h"
#include "shared/base/result.h"
#include "shared/config/cluster_config.h"
#include "shared/log/logger.h"

namespace callmesh::agent_presence {

struct PresenceMetrics {
  explicit PresenceMetrics(prometheus::Registry& registry);
  prometheus::Family<prometheus::Counter>& events_family;
  prometheus::Counter& redis_errors;
  prometheus::Counter& decode_errors;
  prometheus::Family<prometheus::Counter>& requests_family;
  prometheus::Counter& stale_calls_ended;
  prometheus::Counter& reconciles;
  prometheus::Counter& failovers;
  prometheus::Counter& failover_reconciles;
  prometheus::Counter& event(const char* kind) { return events_family.Add({{"kind", kind}}); }
  prometheus::Counter& request(const char* kind) { return requests_family.Add({{"kind", kind}}); }
};

// Takes CallEvents, updates line state, acknowledges once the state is in Redis; serves the
// "presence" message type (query, update); announces every change on the `cm:events` channel
// (notification_keys::kEventChannel; presence.changed) for the API's live streams; rebuilds line
// state through PresenceReconciler. Thread ownership: the poll-loop thread.
class PresenceService {
 public:
  PresenceService(PresenceLedger& ledger, PresenceReconciler& reconciler, redis::RedisClient& redis,
                  std::map<std::string, config::AgentHours> hours, const Clock& clock,
                  PresenceMetrics& metrics, Logger& log)
      : ledger_(ledger),
        reconciler_(reconciler),
        redis_(redis),
        hours_(std::move(hours)),
        clock_(clock),
        metrics_(metrics),
        log_(log) {}

  // The agents' working hours in force (cluster.yaml's merged with the agent registry,
  // config/agent_registry.h), replaced whole when the registry's version moves.
  void setHours(std::map<std::string, config::AgentHours> hours) { hours_ = std::move(hours); }

  // Returns the EventAck, or an error (no ack: the publisher re-sends).
  Result<std::vector<uint8_t>> handleCallEvent(const zmq::message_t& payload);
  // CallEventBatch -> the EventAck of its last event. Every event of the batch goes to Redis in
  // one pipelined round trip, in order. The ack is returned only when Redis applied every event;
  // otherwise an error (no ack: the publisher re-sends the whole batch, which is harmless since
  // every event is idempotent). Events that did apply are announced and counted either way.
  Result<std::vector<uint8_t>> handleCallEventBatch(const zmq::message_t& payload);
  // PresenceRequest -> PresenceReply. Redis trouble is a reply with `error` set.
  Result<std::vector<uint8_t>> handlePresence(const zmq::message_t& payload);
  // Rebuilds line state from the live calls (startup and the periodic sweep).
  Status reconcile(int64_t grace_ms, ReconcileScope scope = ReconcileScope::AllRecords);
  // The reconcile FailoverReconcile schedules `settle_ms` after the Redis client reached a new
  // primary (retried every `retry_ms` while it fails). Called from a short timer; costs nothing
  // without a failover. Without followFailovers() nothing is scheduled.
  void followFailovers(int64_t settle_ms, int64_t retry_ms) {
    failover_ = FailoverReconcile(settle_ms, retry_ms);
    follow_failovers_ = true;
  }
  void reconcileAfterFailover(int64_t grace_ms);
  // The periodic sweep (LiveSets), skipped while a failover reconcile is pending: until then a
  // live call's lease may still be missing, and the sweep would end it.
  void periodicReconcile(int64_t grace_ms);
  bool redisHealthy() const { return redis_healthy_; }

 private:
  // A CallEvent off the wire, as this service uses it.
  struct ReceivedEvent {
    std::string event_id;
    std::string call_id;
    const char* kind = "other";     // metric label and log field
    bool text = false;              // texts occupy no line: nothing rings, nobody is on a call
    std::optional<LineEvent> line;  // none: nothing for line state (texts, unknown kinds)
  };
  static Result<ReceivedEvent> receive(schema::CallEvent::Reader event);
  Result<std::vector<uint8_t>> applyCallEvents(const std::vector<ReceivedEvent>& events);
  // Publishes presence.changed once for each agent in `agents` (in first-seen order; repeats are
  // dropped), from one pipelined read of their records and one pipelined PUBLISH.
  void announce(const std::vector<std::string>& agents);
  // Reads the client's primary epoch; a change schedules the failover reconcile (and is counted).
  void noticeFailover();

  PresenceLedger& ledger_;
  PresenceReconciler& reconciler_;
  redis::RedisClient& redis_;
  std::map<std::string, config::AgentHours> hours_;
  const Clock& clock_;
  PresenceMetrics& metrics_;
  Logger& log_;
  bool redis_healthy_ = true;
  FailoverReconcile failover_{0, 0};
  bool follow_failovers_ = false;
};

}  // namespace callmesh::agent_presence
