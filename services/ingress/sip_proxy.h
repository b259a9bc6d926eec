#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

#include "services/ingress/best_response.h"
#include "services/ingress/call_event_publisher.h"
#include "services/ingress/event_loop_step.h"
#include "services/ingress/ingress_metrics.h"
#include "services/ingress/route_cache.h"
#include "services/ingress/route_plan.h"
#include "services/ingress/sofia.h"
#include "services/ingress/source_guard.h"
#include "shared/base/clock.h"
#include "shared/config/cluster_config.h"
#include "shared/log/logger.h"
#include "shared/transport/notice_channel.h"
#include "shared/transport/request_client.h"
#include "shared/transport/service_context.h"

namespace callmesh::ingress {

// Where the ingress talks to the rest of the cluster.
struct ClusterPeers {
  std::string router;
  std::string router_notices;  // the router's RoutingNotice publisher
  std::string limiter;
  std::string presence;
  std::string notification;
};

struct Call;
class SipProxy;

// One outbound INVITE of a call (a fork branch).
struct Branch {
  SipProxy* proxy = nullptr;  // back-pointer for the C callbacks
  Call* call = nullptr;
  size_t step = 0;
  PlanTarget target;
  nta_outgoing_t* orq = nullptr;
  bool provisional = false;  // got 180/183
  bool final = false;        // got a final response (or gave up)
  bool cancelled_by_us = false;
  std::string transport;  // "udp" or "tcp"
};

// A call through the ingress, from INVITE to the end of its dialog.
struct Call {
  enum class Phase { Admitting, Ringing, Answered, Ended };

  SipProxy* proxy = nullptr;  // back-pointer for the C callbacks
  CallIdentity id;
  Phase phase = Phase::Admitting;
  nta_incoming_t* irq = nullptr;  // the caller's INVITE server transaction until final
  std::string caller_tag;
  std::string caller_target;  // sip:ip:port;transport=x of the caller's hop (source)
  std::string caller_transport;
  std::string slot_number;  // the number whose cap this call counts against
  bool slot_held = false;
  bool slot_decided = false;
  // The grant left the number within a few slots of its cap: this call's slot goes back at once
  // when it ends instead of in the next tick's batch, since a caller may be waiting for it.
  bool slot_near_cap = false;
  bool route_decided = false;
  uint64_t limiter_request = 0;
  uint64_t router_request = 0;
  // What the router decided, set once the call is routed; a reused decision is shared with the
  // RouteCache and every call given it, never copied.
  std::shared_ptr<const RoutePlan> plan;
  std::vector<std::string> path;  // our numbers this call already passed (loop check)
  // Dialog state the proxy needs to end the call itself (time limit, drain): header values as
  // received, the Contact URIs, and the highest CSeq seen from each side.
  std::string caller_from;
  std::string caller_contact;
  std::string callee_to;
  std::string callee_contact;
  uint32_t caller_cseq = 0;
  uint32_t callee_cseq = 0;
  std::vector<std::unique_ptr<Branch>> branches;
  size_t current_step = 0;
  su_timer_t* step_timer = nullptr;
  su_timer_t* duration_timer = nullptr;
  Branch* answered = nullptr;
  BestResponse best;
  int64_t offered_steady_ms = 0;
  int64_t answered_steady_ms = 0;
  bool ended_published = false;
  bool offered_published = false;  // `ended` is published only for calls that were offered
};

// The SIP face of the cluster: a transaction-stateful, record-routing, forking proxy on
// sofia-sip NTA. Everything here runs on the thread that owns the su_root (NTA is not
// thread-safe); ZeroMQ sockets are registered in the same loop.
//
// Contract with the rest of the cluster:
//  - every new INVITE takes a slot from the concurrency-limiter and a decision from the router
//    (in parallel); over the cap it is answered 486 Busy Here; when the limiter or router
//    cannot answer in time it is answered 503 Service Unavailable (fail closed);
//  - it only ever sends new requests to targets the router produced, and in-dialog requests to
//    the two hops of a known dialog (the caller's source address, the answered target); it never
//    resolves or contacts a host named inside a received message;
//  - the slot is released when the call ends by any path, and renewed while the call lives.
class SipProxy {
 public:
  SipProxy(const config::ClusterConfig& config, const ClusterPeers& peers, IngressMetrics& metrics,
           Logger& log, const Clock& clock);
  ~SipProxy();
  SipProxy(const SipProxy&) = delete;
  SipProxy& operator=(const SipProxy&) = delete;

  // Binds SIP (UDP+TCP) and registers the ZeroMQ sockets. Errors name the address.
  Status start();
  // Runs until `stop` becomes true, then releases held slots and flushes events briefly.
  void run(const std::atomic<bool>& stop);
  bool ready() const { return ready_.load(); }

  // NTA callbacks (public for the C trampolines).
  int onRequest(nta_incoming_t* irq, const sip_t* sip);
  int onAckOrCancel(Call* call, nta_incoming_t* irq, const sip_t* sip);
  int onBranchResponse(Branch* branch, nta_outgoing_t* orq, const sip_t* sip);
  struct InDialogTxn;
  int onInDialogResponse(InDialogTxn* txn, nta_outgoing_t* orq, const sip_t* sip);
  int onStray(msg_t* msg, sip_t* sip);
  int onByeResponse(nta_outgoing_t* orq);
  void onStepTimeout(Call* call);
  void onMaxDuration(Call* call);
  void onTick();

 private:
  void handleNewCall(nta_incoming_t* irq, const sip_t* sip, schema::CallKind kind);
  bool admitSource(msg_t* msg, const sip_t* sip);
  void sendBye(Call* call, bool to_caller, const char* reason);
  void handleInDialog(nta_incoming_t* irq, const sip_t* sip);
  void forwardAck(msg_t* msg, sip_t* sip);
  void askLimiterAndRouter(Call* call, const sip_t* sip);
  struct PendingRelease {
    std::string number;
    std::string call_id;
    int64_t give_up_at_ms;  // the lease has expired by then: nothing left to free
  };
  using ReleaseBatch = std::shared_ptr<std::vector<PendingRelease>>;
  void onLimiterReply(const std::string& call_id, const std::string& number, int64_t sent_ms,
                      const ReleaseBatch& carried, Result<zmq::message_t> reply);
  void onRouterReply(const std::string& call_id, Result<zmq::message_t> reply);
  void applyRoutePlan(Call* call, std::shared_ptr<const RoutePlan> plan);
  void readRouterNotices();
  void maybeStartRinging(Call* call);
  void startStep(Call* call, size_t step);
  bool sendBranch(Call* call, size_t step, const PlanTarget& target);
  void stepFinishedIfDone(Call* call);
  void cancelBranches(Call* call, Branch* except);
  void answerCall(Call* call, Branch* branch, nta_outgoing_t* orq);
  void relayFinalToCaller(Call* call, msg_t* out);
  void failCall(Call* call, int status, const std::string& reason, schema::EndReason why);
  void endCall(Call* call, schema::EndReason why, int status);
  void releaseSlot(Call* call);
  // Queues the slot to go back with the next acquire, or this tick's releaseBatch if no acquire
  // comes first (one limiter request per tick at most, not one per call).
  void queueRelease(const std::string& number, const std::string& call_id);
  ReleaseBatch takePendingReleases();
  void flushReleases();
  // The limiter did not confirm these (no answer, Redis down): tried again every 500 ms.
  void releasesNotConfirmed(const ReleaseBatch& batch, const std::string& error);
  void renewSlots();
  void reapIfDone(Call* call);
  void reply(nta_incoming_t* irq, int status, const char* phrase);
  msg_t* prepareForward(nta_incoming_t* irq, const char* new_request_uri, int* error_status);
  bool isOurRoute(const url_t* url) const;
  void insertRecordRoute(msg_t* msg, const std::string& caller_transport,
                         const std::string& callee_transport);
  Call* findCall(const std::string& call_id);

  const config::ClusterConfig& config_;
  ClusterPeers peers_;
  IngressMetrics& metrics_;
  Logger& log_;
  const Clock& clock_;
  std::string instance_id_;
  std::string rr_host_;
  int sip_port_;

  su_root_t* root_ = nullptr;
  EventLoopStep loop_;
  std::vector<PendingRelease> pending_releases_;  // with the next acquire or tick's releaseBatch
  std::vector<PendingRelease> retry_releases_;    // the limiter could not free them (Redis down)
  int64_t next_release_retry_ms_ = 0;
  int64_t last_flush_ms_ = 0;
  nta_agent_t* agent_ = nullptr;
  su_timer_t* tick_timer_ = nullptr;

  zmq::context_t zmq_context_ = transport::serviceContext();
  std::unique_ptr<transport::RequestClient> router_;
  std::unique_ptr<transport::NoticeSubscriber> router_notices_;
  RouteCache route_cache_;
  std::unique_ptr<transport::RequestClient> limiter_;
  // Acquires and releases share limiter_: ZeroMQ keeps order on one connection, so a release
  // is never overtaken by a later acquire, nor by a queued copy of its own retried acquire.
  std::unique_ptr<transport::RequestClient> limiter_background_;  // renewals: more attempts
  std::unique_ptr<transport::RequestClient> presence_events_;
  std::unique_ptr<transport::RequestClient> notification_events_;
  std::unique_ptr<CallEventPublisher> events_;
  std::unique_ptr<SourceGuard> guard_;
  std::vector<int> wait_indices_;
  uint64_t events_dropped_reported_ = 0;
  uint64_t refused_lookups_reported_ = 0;
  uint64_t ticks_ = 0;
  std::set<std::string> allowed_target_hosts_;  // ring-target hosts already allowed to resolve

  std::unordered_map<std::string, std::unique_ptr<Call>> calls_;
  std::vector<std::unique_ptr<Call>> graveyard_;  // freed on the next tick, outside callbacks
  std::set<InDialogTxn*> txns_;
  int64_t last_renew_ms_ = 0;
  std::atomic<bool> ready_{false};
  bool draining_ = false;
};

}  // namespace callmesh::ingress
