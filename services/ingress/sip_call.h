#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "services/ingress/call_control.h"
#include "services/ingress/sofia_handles.h"

namespace callmesh::ingress {

class SipProxy;

// One outbound INVITE (or MESSAGE) of a call: a fork branch. Its index is the CallStateMachine's.
struct SipBranch {
  SipProxy* proxy = nullptr;  // back-pointers for the C callback
  Call* call = nullptr;
  size_t index = 0;
  OutgoingRequest orq;    // until its final response
  std::string transport;  // "udp" or "tcp"
  std::string uri;        // where the request went: the target, or the gateway carrying it
  // Through a gateway set (gateway_failover.cpp): the gateways to try in order (GatewaySets
  // indexes), the one carrying the INVITE now, and the deadline for its first response. Empty
  // for a plain target.
  std::vector<size_t> gateways;
  size_t gateway_at = 0;
  SuTimer answer_timer;
  bool cancelled = false;  // CANCEL asked for: no more failover
};

// What a call keeps of SIP: the caller's server transaction, the branches, the timers, and the
// dialog state the proxy needs to end the call itself (time limit, drain): header values as
// received, the Contact URIs, and the highest CSeq seen from each side.
struct SipCall final : Call {
  using Call::Call;
  SipProxy* proxy = nullptr;  // back-pointer for the C callbacks (ACK/CANCEL, timers)
  IncomingRequest irq;        // the caller's INVITE (MESSAGE) until its final response
  std::string caller_tag;
  std::string caller_target;  // sip:ip:port;transport=x of the caller's hop (source)
  std::string caller_transport;
  std::string caller_from;
  std::string caller_contact;
  bool caller_identity_trusted = false;  // the caller's hop is in the RFC 3325 trust domain
  std::string callee_to;
  std::string callee_tag;  // the answer's To-tag: with caller_tag, the dialog's identity
  std::string callee_ip;   // the answer's source address: the callee's hop
  std::string callee_contact;
  // The answered branch's next hop: its target URI, or for a target through a gateway set the
  // gateway that answered. In-dialog requests toward the callee go here.
  std::string callee_hop;
  uint32_t caller_cseq = 0;
  uint32_t callee_cseq = 0;
  std::vector<std::unique_ptr<SipBranch>> branches;  // stable addresses: NTA holds them
  SuTimer step_timer;
  SuTimer duration_timer;
};

// Every Call the dispatcher hands to CallControl is a SipCall.
inline SipCall& sipOf(Call& call) { return static_cast<SipCall&>(call); }
inline const SipCall& sipOf(const Call& call) { return static_cast<const SipCall&>(call); }

}  // namespace callmesh::ingress
