#pragma once

#include <memory>

#include "services/ingress/sofia.h"

namespace callmesh::ingress {

// Owners of sofia-sip handles: whatever path a call, branch or in-dialog transaction leaves by,
// its handles are destroyed exactly once. All must be destroyed on the su_root's thread, before
// the nta_agent and su_root they belong to (SipProxy's destructor frees the calls first).

struct OutgoingDestroy {
  void operator()(nta_outgoing_t* orq) const { nta_outgoing_destroy(orq); }
};
// A client transaction (a branch, a relayed in-dialog request).
using OutgoingRequest = std::unique_ptr<nta_outgoing_t, OutgoingDestroy>;

struct IncomingDestroy {
  // NTA answers 500 to a server transaction destroyed before its final response.
  void operator()(nta_incoming_t* irq) const { nta_incoming_destroy(irq); }
};
// A server transaction (the caller's INVITE or MESSAGE, an in-dialog request).
using IncomingRequest = std::unique_ptr<nta_incoming_t, IncomingDestroy>;

struct TimerDestroy {
  void operator()(su_timer_t* timer) const { su_timer_destroy(timer); }
};
// A one-shot su timer (a step's ring timer, a call's time limit).
using SuTimer = std::unique_ptr<su_timer_t, TimerDestroy>;

}  // namespace callmesh::ingress
