#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

#include "services/ingress/call_events.h"
#include "services/ingress/call_state_machine.h"
#include "services/ingress/cap_waits.h"
#include "services/ingress/ingress_metrics.h"
#include "services/ingress/route_cache.h"
#include "services/ingress/slot_releases.h"
#include "shared/base/clock.h"
#include "shared/config/cluster_config.h"
#include "shared/log/logger.h"
#include "shared/transport/notice_channel.h"
#include "shared/transport/request_link.h"

namespace callmesh::ingress {

struct Call;

// The SIP side as the call logic sees it (the sofia dispatcher; a recording fake in tests).
class CallSip {
 public:
  virtual ~CallSip() = default;
  // Carries out one action that touches SIP: Fork, CancelBranch, RelayProvisional, AnswerCaller,
  // RelayFinal, AckByeLate, RejectCaller, ByeBothSides and the timer actions. For Fork it sends
  // every target of the step and reports each to `call.machine` (branchStarted or
  // branchNotStarted); CallControl then calls forkSent.
  virtual void apply(Call& call, const CallAction& action) = 0;
  // True when no branch of the call still waits for a final response: the call may be freed.
  virtual bool settled(const Call& call) const = 0;
};

// Gateway and agent-device hints for the router: an IVR-collected ZIP (geo router, seed 000); the
// dialer project and the previous call's outcome (outbound caller ID, seed 002).
struct RouteHints {
  std::string caller_zip;
  std::string project;
  std::string last_outcome;
  std::string authenticated_agent;  // the agent the device proved to be (digest), issue 16
};

// A call or text through the ingress, from its INVITE (MESSAGE) to the end of its dialog. The
// SIP side derives its own record from it (SipCall: transaction and timer handles, dialog state),
// so both live in one allocation and the handles go with the call.
struct Call {
  Call(CallIdentity id_, int64_t offered_ms, int default_max_duration_s)
      : id(std::move(id_)), machine(id.kind, offered_ms, default_max_duration_s) {}
  virtual ~Call() = default;
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;
  CallIdentity id;
  CallStateMachine machine;
  std::string slot_number;        // the number whose cap this call counts against
  std::vector<std::string> path;  // our numbers this call already passed (loop check)
  uint64_t router_request = 0;
  // For the call detail record (issue 20): the gateway's ZIP (X-Caller-Zip) and the recording id
  // the answering side named (X-Recording-Id), each at most kMaxRecordHint bytes.
  std::string caller_zip;
  std::string recording_id;
  static constexpr size_t kMaxRecordHint = 128;
  // rtpengine's recording (issue 19): the files its replies named and the segments recorded
  // (media_legs.cpp, recording_commands.cpp; bounded by kMaxRecordingSegments).
  std::vector<std::string> recordings;
  size_t recording_segments = 0;
  bool waited_at_cap = false;  // met the cap and waited for a slot (CapWaits)
};

// The links the call logic talks through; borrowed, built in main.cpp.
struct CallLinks {
  transport::RequestLink& router;
  transport::NoticeSource* router_notices;  // null: no decision is reused, every call asks
  transport::RequestLink& limiter;
  CallEvents& events;
};

// Every call of the ingress and what happens to it, without sofia: admission (limiter and router
// asked in parallel, kept decisions), each call's CallStateMachine, the actions it returns that do
// not touch SIP (slot releases, events, metrics, logs), and freeing ended calls. The SIP side
// (CallSip) feeds it events and carries out the rest. Runs on the event loop's thread.
class CallControl {
 public:
  CallControl(const config::ClusterConfig& config, CallLinks links, SlotReleases& releases,
              IngressMetrics& metrics, Logger& log, const Clock& clock, CallSip& sip);
  CallControl(const CallControl&) = delete;
  CallControl& operator=(const CallControl&) = delete;

  Call* find(const std::string& call_id);
  // A new call (or text) with a Call-ID not yet known; `source` is only logged. Ask for it next.
  Call* offer(std::unique_ptr<Call> call, std::vector<std::string> path, const std::string& source);
  // When a new call counts as offered (steady ms), and its time limit when the plan sets none.
  int64_t now() const { return clock_.steadyMs(); }
  int defaultMaxDurationS() const { return config_.ingress.max_call_duration_s; }
  // Asks the limiter (calls only) and the router (unless a kept decision applies), in parallel.
  void askLimiterAndRouter(Call& call, const RouteHints& hints);

  void branchProvisional(Call& call, size_t branch, int status);
  void branchFinal(Call& call, size_t branch, int status, const std::string& reason);
  void stepTimerFired(Call& call);
  void timeLimitReached(Call& call);
  void callerCancelled(Call& call);
  void bye(Call& call, bool from_caller);
  // Ends every call still up (drain over): a caller still waiting gets its final response
  // (CallStateMachine::drainOver), connected calls get BYE on both sides.
  void shutDownAll();
  // Frees every call at once, ended or not, with its SIP handles (the dispatcher's destructor,
  // before the NTA agent goes).
  void dropAll() {
    graveyard_.clear();
    calls_.clear();
  }
  // Frees an ended call once the SIP side is settled (it stays valid until the next tick).
  void reapIfDone(Call& call);

  // Once per tick, outside callbacks: frees reaped calls, reads the router's notices, renews the
  // leases of held slots every lease_renew_ms.
  void onTick();
  const std::unordered_map<std::string, std::unique_ptr<Call>>& calls() const { return calls_; }

 private:
  // Acquires go out one burst at a time (admission.cpp): while one is in flight, later calls'
  // acquires wait for its answer (at most one tick) and then go together, back to back, so the
  // ZeroMQ I/O threads and the limiter wake once for the burst and the limiter decides it in one
  // Redis round trip (SlotLedger::acquireMany). Idle, nothing waits: a lone call's acquire goes
  // at once; under load, the busier the limiter, the larger the bursts.
  // With ingress.acquire_gather_ms, an acquire also waits (for the next tick) when the last one
  // went out less than that long ago: bursts form at 500 calls/s too, where nothing is in
  // flight long enough to queue behind.
  bool acquireWaits() const;
  // Asks for the call's slot now or with the next burst; `first`: ahead of the burst's new calls
  // (a call woken by a release, or asking again, has waited longest).
  void queueAcquire(const std::string& call_id, const std::string& number, bool first);
  void sendAcquire(const std::string& call_id, const std::string& number);
  void sendWaitingAcquires();
  struct WaitingAcquire {
    std::string call_id;
    std::string number;
  };
  std::vector<WaitingAcquire> waiting_acquires_;
  size_t acquires_in_flight_ = 0;
  int64_t last_acquire_sent_ms_ = INT64_MIN / 2;     // long ago: the first acquire never waits
  static constexpr size_t kMaxWaitingAcquires = 64;  // ReplyServer::kMaxBatch
  struct AcquireSent {
    int64_t at_ms;
    uint64_t releases_before;  // CapWaits::releaseCount() then
  };
  void onLimiterReply(const std::string& call_id, const std::string& number, AcquireSent sent,
                      const SlotReleases::Batch& carried, Result<zmq::message_t> reply);
  // The limiter refused the call a slot: ask again, wait (CapWaits), or turn the caller away.
  void overCap(Call& call, AcquireSent sent);
  void turnAwayOverCap(Call& call);
  // A slot of `number` was released here: the call waiting longest for one asks again.
  void wakeCallWaitingFor(const std::string& number);
  void turnAwayExpiredWaits();
  void onRouterReply(const std::string& call_id, Result<zmq::message_t> reply);
  void readRouterNotices();
  void renewSlots();
  // Carries out the actions from `start` on (events of the same call may nest: each level runs
  // and drops only its own).
  void run(Call& call, size_t start);
  void carryOut(Call& call, const CallAction& action);

  const config::ClusterConfig& config_;
  CallLinks links_;
  SlotReleases& releases_;
  IngressMetrics& metrics_;
  Logger& log_;
  const Clock& clock_;
  CallSip& sip_;
  RouteCache route_cache_;
  CapWaits cap_waits_;
  std::vector<std::string> expired_waits_;  // reused by the tick
  CallActions actions_;                     // reused: deciding allocates nothing once grown
  std::unordered_map<std::string, std::unique_ptr<Call>> calls_;
  std::vector<std::unique_ptr<Call>> graveyard_;  // freed on the next tick, outside callbacks
  int64_t last_renew_ms_;
};

}  // namespace callmesh::ingress
