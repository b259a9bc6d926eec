#pragma once

#include <string>
#include <vector>

#include "services/ingress/call_events.h"
#include "services/ingress/header_policy.h"
#include "services/ingress/route_plan.h"
#include "services/ingress/sofia.h"

namespace callmesh::ingress {

// The ingress as a hop: where it listens and what it writes in Record-Route.
struct ProxyHop {
  std::string rr_host;   // Record-Route host (record_route_host, else the pod IP or sip_host)
  std::string sip_host;  // the address SIP is bound to
  int port = 5060;
  int tls_port = 0;  // the sips: listener (ingress.tls_port); 0 = none
  bool ours(int p) const { return p == port || (tls_port != 0 && p == tls_port); }
};

// The hop a request came from, as a URI we can send to: sip:ip:port;transport=x.
// `tports` (the agent's, nta_agent_tports): when given, a message delivered over TLS is told
// from plain TCP (transport "tls"); sofia's addrinfo says TCP for both. Only while `msg` is
// being delivered (in an NTA callback); otherwise TLS reads as "tcp".
bool sourceOf(msg_t* msg, std::string& target, std::string& transport, tport_t* tports = nullptr);

// True when `url` names this ingress (one of our own Route entries, to pop).
bool isOurRoute(const ProxyHop& hop, const url_t* url);

// True when `via` carries our own sent-by (the address and port the ingress listens on).
bool isOurVia(const ProxyHop& hop, const sip_via_t* via);

// True when a Route entry names anyone but us: on an initial request that is a preloaded route
// we will not follow (issue 16, item 3; SipProxy answers 403, see README "Protection").
bool routesElsewhere(const ProxyHop& hop, const sip_t* sip);

// Removes what arrived in headers that are ours to write or that `source` may not assert
// (header_policy.h). Returns how many header fields were removed.
int stripArrivedHeaders(msg_t* msg, const HeaderSource& source);

// Pops our own Route entries and checks and decrements Max-Forwards in place (an ACK relayed
// statelessly). False when Max-Forwards was already 0: the request must not go on.
bool stepOverUs(const ProxyHop& hop, msg_t* msg, sip_t* sip);

// What a forward is made of. A stateful proxy keeps the request as received only for further
// branches: NTA answers the caller from its own copies of Via, From, To, Call-ID and CSeq taken
// when the transaction was created (nta.c incoming_create), never from the message. So the
// last branch a request will ever feed may take the received message itself: no `msg_copy`
// (a message object, a copy of every header structure and, once NTA adds its Via, a second
// 127-entry allocation table: about 4.5 KB per call held until Timer D, 32 s after the answer).
enum class ForwardFrom {
  Copy,      // more branches may follow (forks, later steps, a gateway set's failover)
  Received,  // no branch will be built from the request again: it is changed and sent itself
};

// The request for forwarding: pops our own Route entries, checks and decrements Max-Forwards,
// strips the headers `source` may not send on (stripArrivedHeaders), and optionally sets a new
// Request-URI. Returns null with *error_status set when the request must be refused instead
// (with ForwardFrom::Received the refusal is still answered from the transaction's copies).
msg_t* prepareForward(const ProxyHop& hop, nta_incoming_t* irq, const HeaderSource& source,
                      const char* new_request_uri, int* error_status,
                      ForwardFrom from = ForwardFrom::Copy);

// Record-Route so in-dialog requests come back through us. When the two sides use different
// transports we record-route twice (one entry facing each side), as Kamailio's rr module does
// and RFC 5658 describes: each side's route set then starts with the address and transport it
// reaches us on (over TLS: the tls_port with ;transport=tls).
void insertRecordRoute(const ProxyHop& hop, msg_t* msg, const std::string& caller_transport,
                       const std::string& callee_transport);

// What the router decided for this leg, in headers a media gateway can act on (documented in
// services/ingress/README.md). From is left as the caller sent it so dialog identity holds; the
// presented caller ID goes in P-Asserted-Identity. Expects `fwd` already stripped by
// prepareForward (with identity_replaced when the target sets a caller ID).
void addLegHeaders(msg_t* fwd, const CallIdentity& id, const std::vector<std::string>& path,
                   const RoutePlan& plan, const PlanTarget& target);

}  // namespace callmesh::ingress
