#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "services/ingress/call_control.h"
#include "services/ingress/connection_bounds.h"
#include "services/ingress/edge_bounds.h"
#include "services/ingress/event_loop_step.h"
#include "services/ingress/gateway_metrics.h"
#include "services/ingress/gateway_resolver.h"
#include "services/ingress/gateway_sets.h"
#include "services/ingress/header_policy.h"
#include "services/ingress/ingress_links.h"
#include "services/ingress/ingress_metrics.h"
#include "services/ingress/media_plane.h"
#include "services/ingress/sip_call.h"
#include "services/ingress/sip_forwarding.h"
#include "services/ingress/slot_releases.h"
#include "services/ingress/sofia.h"
#include "services/ingress/sofia_handles.h"
#include "services/ingress/tls_contexts.h"
#include "services/ingress/trunk_book.h"
#include "services/ingress/trunk_metrics.h"
#include "shared/base/clock.h"
#include "shared/config/cluster_config.h"
#include "shared/log/logger.h"

namespace callmesh::ingress {

// The SIP face of the cluster: a transaction-stateful, record-routing, forking proxy on
// sofia-sip NTA. This class is the thin sofia side: it turns transactions into events for
// CallControl (and each call's CallStateMachine) and carries out the SIP actions they return.
// Everything here runs on the thread that owns the su_root (NTA is not thread-safe); the ZeroMQ
// links are registered in the same loop.
//
// Contract with the rest of the cluster:
//  - every new INVITE takes a slot from the concurrency-limiter and a decision from the router
//    (in parallel); over the cap it is answered 486 Busy Here; when the limiter or router
//    cannot answer in time it is answered 503 Service Unavailable (fail closed);
//  - it only ever sends new requests to targets the router produced, and in-dialog requests to
//    the two hops of a known dialog (the caller's source address, the answered target); it never
//    resolves or contacts a host named inside a received message;
//  - the slot is released when the call ends by any path, and renewed while the call lives.
class SipProxy final : public CallSip {
 public:
  SipProxy(const config::ClusterConfig& config, IngressLinks links, const ProxyIdentity& identity,
           IngressMetrics& metrics, Logger& log, const Clock& clock);
  ~SipProxy() override;
  SipProxy(const SipProxy&) = delete;
  SipProxy& operator=(const SipProxy&) = delete;

  // Binds SIP (UDP+TCP) and registers the links' sockets. Errors name the address.
  Status start();
  // Runs until `stop` becomes true, then drains, releases held slots and flushes events briefly.
  void run(const std::atomic<bool>& stop);
  bool ready() const { return ready_.load(); }

  // NTA and su callbacks (public for the C trampolines).
  int onRequest(nta_incoming_t* irq, const sip_t* sip);
  int onAckOrCancel(Call* call, nta_incoming_t* irq, const sip_t* sip);
  int onBranchResponse(SipBranch* branch, nta_outgoing_t* orq, const sip_t* sip);
  struct InDialogTxn;
  int onInDialogResponse(InDialogTxn* txn, nta_outgoing_t* orq, const sip_t* sip);
  int onStray(msg_t* msg, sip_t* sip);
  void onByeResponse(nta_outgoing_t* orq);
  void onStepTimeout(Call* call);
  void onMaxDuration(Call* call);
  void onMediaFeatureTimer(Call* call);
  void onTick();
  struct GatewayProbe;
  int onProbeResponse(GatewayProbe* probe, nta_outgoing_t* orq, const sip_t* sip);
  void onAnswerTimeout(SipBranch* branch);
  void onTlsWatch(SipBranch* branch);  // tls_branch_watch.cpp

  // CallSip: the actions that touch SIP.
  void apply(Call& call, const CallAction& action) override;
  bool settled(const Call& call) const override;

 private:
  bool admitSource(msg_t* msg, const sip_t* sip);
  bool admitNewCall(msg_t* msg, const sip_t* sip, const std::string& ip, const Trunk* trunk);
  // The trunk `msg` came from (trunk_book.h): by its TLS certificate, else its address.
  const Trunk* trunkOf(msg_t* msg, const std::string& ip) const;
  // SIP over TLS and the connection bounds (tls_transport.cpp).
  Status startTls();
  void checkTlsFiles();
  void sweepConnections();
  // max_connections(_per_source) at accept (accept_gate.h), on sofia's TCP and TLS listeners.
  void installAcceptGate();
  // The subjects of the peer certificate `msg` arrived with, when it verified; else none.
  std::vector<std::string> verifiedSubjects(msg_t* msg) const;
  bool withinEdgeBounds(msg_t* msg, const sip_t* sip, const std::string& ip,
                        const std::string& transport);
  void handleNewCall(nta_incoming_t* irq, const sip_t* sip, schema::CallKind kind);
  void fork(Call& call, size_t step);
  bool sendBranch(Call& call, size_t step, size_t target_index);
  // Gateway sets (gateway_failover.cpp, gateway_probes.cpp).
  bool sendGatewayBranch(Call& call, size_t step, size_t target_index, const std::string& set);
  // Sends the caller's INVITE to `uri` as `branch`'s transaction, through `route` when given
  // (gatewayRouteUri); 0 when sent, else the status the branch fails with. `from`: whether the
  // INVITE may be sent itself (the plan's last branch, sip_forwarding.h) or as a copy.
  int launchBranch(Call& call, const PlanTarget& target, const std::string& uri, SipBranch& branch,
                   bool pass_100, const std::string& route = "",
                   ForwardFrom from = ForwardFrom::Copy);
  // The route a branch to gateway `gw` takes (empty: the request URI).
  static std::string routeOf(const Gateway& gw) {
    return gw.server_name.empty() ? std::string() : gw.route_uri;
  }
  // Over TLS (tls_branch_watch.cpp): watches the branch's connection until its first response;
  // one closed under it fails the branch at once, as NTA's 503 for a transport error would.
  void watchTlsBranch(SipBranch& branch);
  void branchTransportLost(SipBranch& branch);
  // Moves the branch to its next gateway; false when none is left or none would take it.
  bool failOver(SipBranch& branch, GatewayMetrics::Failover reason);
  void probeGateways();
  // Gateways by DNS name (gateway_dns_updates.cpp): starts the resolver thread, and takes its
  // answers into the sets on the tick.
  void startGatewayResolver();
  void applyGatewayResolutions();
  void finishProbe(GatewayProbe& probe, GatewayMetrics::Probe result);
  void relayToCaller(SipCall& sc, msg_t* out, bool final);
  void rejectCaller(SipCall& sc, int status, const char* reason);
  void rememberCallee(Call& call, const SipBranch& branch);
  void sendBye(Call& call, bool to_caller, const char* reason);
  void handleInDialog(nta_incoming_t* irq, const sip_t* sip);
  void forwardAck(msg_t* msg, sip_t* sip);
  bool relayStrayAnswer(msg_t* msg, sip_t* sip);
  void reply(nta_incoming_t* irq, int status, const char* phrase);
  bool identityTrusted(msg_t* msg) const;
  msg_t* responseToRelay(nta_outgoing_t* orq);
  bool refuseMalformedOrLooped(msg_t* msg, sip_t* sip);
  Call* dialogOf(const sip_t* sip, msg_t* msg, bool& from_caller);
  // Agents' digest authentication (agent_auth_sip.cpp). authenticateAgent: false when it answered
  // the request (407: a wrong or stale answer); `agent` is set when the answer is right.
  bool authenticateAgent(nta_incoming_t* irq, const sip_t* sip, std::string& agent);
  void challenge(nta_incoming_t* irq, const char* reason, bool stale);
  void reloadAgentCredentials();
  SuTimer armTimer(int64_t ms, su_timer_f callback, Call* call);
  // The media plane (media_legs.cpp). offerMedia: the caller's offer to rtpengine, on the initial
  // INVITE; false when the call must be refused (fail_mode closed and rtpengine failed).
  // anchorOffer: a branch's INVITE carries rtpengine's SDP when the call is anchored.
  bool offerMedia(SipCall& sc, const sip_t* sip);
  void anchorOffer(Call& call, msg_t* fwd);
  // A 183/200 toward the caller: rtpengine's SDP replaces the answering side's.
  void anchorAnswer(Call& call, size_t branch, msg_t* out, bool answered);
  // Late offer (media_late_offer.cpp): the 2xx's offer to rtpengine, then the ACK's answer.
  void anchorLateOffer(Call& call, size_t branch, msg_t* out);
  void anchorAckAnswer(Call& call, msg_t* ack);
  // What the answer (or a late offer's offer) reply says of the recording.
  void noteRecording(Call& call, const media::BValue& reply, const PlanTarget& target);
  void startMediaFeatures(Call& call, size_t branch);
  void startWhisper(Call& call);
  void armMediaFeature(Call& call, int64_t ms);
  void releaseMedia(Call& call);
  void reanchorOffer(InDialogTxn& txn, const Call& call, bool from_caller, msg_t* fwd);
  void reanchorAnswer(InDialogTxn& txn, msg_t* out);
  // A RecordingCommand from the notification API (recording_commands.cpp): the reply's bytes.
  Result<std::vector<uint8_t>> onRecordingCommand(const zmq::message_t& payload);

  const config::ClusterConfig& config_;
  IngressLinks links_;
  IngressMetrics& metrics_;
  Logger& log_;
  const Clock& clock_;
  MediaPlane media_;
  std::string instance_id_;
  ProxyHop hop_;
  TrustDomain identity_trust_;  // ingress.identity_trusted_sources (RFC 3325)
  EdgeBounds edge_bounds_;
  TrunkBook trunks_;            // ingress.trunks
  TrunkMetrics trunk_metrics_;  // per trunk, labels from trunks_
  ConnectionBounds connection_bounds_;
  std::vector<SSL_CTX*> tls_contexts_;      // sofia's, with our certificate (tls_contexts.h)
  std::unique_ptr<FileStamps> tls_stamps_;  // the certificate files as last loaded
  int64_t last_tls_check_ms_ = 0;
  int64_t last_sweep_ms_ = 0;
  // Connections refused at accept since the sweep last logged them: [per_source, total].
  uint64_t refused_at_accept_[2] = {0, 0};
  std::string last_refused_peer_;

  su_root_t* root_ = nullptr;
  EventLoopStep loop_;
  nta_agent_t* agent_ = nullptr;
  SuTimer tick_timer_;
  std::vector<int> wait_indices_;
  // sofia's UDP sockets, read and written with one system call a datagram (sofia_datagrams.h).
  std::vector<int> adopted_udp_;
  uint64_t events_dropped_reported_ = 0;
  uint64_t refused_lookups_reported_ = 0;
  uint64_t new_call_bans_reported_ = 0;
  uint64_t ticks_ = 0;
  int64_t last_flush_ms_ = 0;
  HeapGrowthWatch heap_watch_;                  // ingress.heap_steady_decay_ms, heap_steady_after_s
  std::set<std::string> allowed_target_hosts_;  // ring-target hosts already allowed to resolve

  GatewaySets gateway_sets_;  // ingress.gateway_sets and their health
  GatewayMetrics gateway_metrics_;
  std::vector<std::unique_ptr<GatewayProbe>> probes_;  // one per gateway: at most one in flight
  std::mt19937_64 gateway_draw_;                       // weighted choice among gateways
  std::unique_ptr<GatewayResolver> gateway_resolver_;  // only when a gateway is given by name

  SlotReleases releases_;
  CallControl calls_;
  // Relayed in-dialog requests, each until its final response (the key is the NTA magic).
  std::unordered_map<InDialogTxn*, std::unique_ptr<InDialogTxn>> txns_;
  std::unordered_map<nta_outgoing_t*, OutgoingRequest> byes_;  // BYEs we sent, until answered
  std::atomic<bool> ready_{false};
  bool draining_ = false;
};

// Whether a gateway branch's final response moves it to the next gateway (408, 500, 503).
bool failoverStatus(int status, GatewayMetrics::Failover& reason);

// An in-dialog request relayed between the two hops of a dialog; it lives until its final
// response is relayed, independently of the Call.
struct SipProxy::InDialogTxn {
  SipProxy* proxy = nullptr;  // back-pointer for the C callback
  IncomingRequest irq;
  OutgoingRequest orq;
  // A re-INVITE/UPDATE of an anchored call whose offer rtpengine took: its 2xx's SDP is answered.
  bool media = false;
  std::string call_id;
  std::string offerer_tag;
  std::string answerer_tag;
};

// The OPTIONS probe of one gateway (GatewaySets index); `orq` while one is in flight.
struct SipProxy::GatewayProbe {
  SipProxy* proxy = nullptr;  // back-pointer for the C callback
  size_t gateway = 0;
  OutgoingRequest orq;
};

}  // namespace callmesh::ingress
