@0x9f8864decaf2726b;
# Calls: what the ingress asks the router, what the router decides, and the lifecycle events the
# ingress publishes to agent-presence and notification.
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("callmesh::schema");

enum CallKind {
  voice @0;  # an INVITE
  text @1;   # a SIP MESSAGE (an SMS relayed by the gateway)
}

struct RouteRequest {
  # ingress -> router, message type "route". The router answers with a RouteDecision.
  # Requests are correlated by the transport envelope's request id (shared/transport/envelope.h).
  callId @0 :Text;            # SIP Call-ID of the inbound call
  dialed @1 :Text;            # number the caller dialed (Request-URI user part), E.164 when it parses
  caller @2 :Text;            # caller's number (P-Asserted-Identity, else From user part)
  callerZip @3 :Text;         # ZIP supplied by the gateway (X-Caller-Zip), empty when absent
  path @4 :List(Text);        # our numbers this call already passed through (loop check, seed 003)
  receivedAtMs @5 :Int64;     # wall clock when the ingress received the request
  kind @6 :CallKind;
  project @7 :Text;           # outbound calls (seed 002): project named by the agent's device
                              # (X-Callmesh-Project); empty = the agent's outbound_project
  lastOutcome @8 :Text;       # outbound calls: outcome of the project's previous call to the
                              # callee (X-Callmesh-Last-Outcome); empty = the one Redis recorded
  authenticatedAgent @9 :Text;  # the agent id the device proved with SIP digest (issue 16): the
                                # only identity an outbound call is placed for; empty = none
  agentAuthOff @10 :Bool;     # the ingress runs with agent_auth: off (labs and tests): the From
                              # identity is trusted as before; false (default) = an agent's
                              # outbound call without authenticatedAgent is refused with 407
}

struct RingTarget {
  # One phone to ring: always an address the router produced from configuration.
  uri @0 :Text;               # SIP URI the ingress sends the INVITE to
  number @1 :Text;            # E.164 of the receiving number, for events and metrics
  agentId @2 :Text;           # the agent who answers here, empty when not an agent's phone
  extensionDigits @3 :Text;   # digits dialled after connect; `w` = half-second pause (seed 000)
  callerIdNumber @4 :Text;    # caller ID presented on this leg; empty = the caller's own
  whisper @5 :Text;           # whisper message/prompt id played to the callee, empty = none
  preventRecording @6 :Bool;  # the media gateway must not record this leg
}

struct RingStep {
  # A group rung together; the step ends when one answers or all fail or the timeout passes.
  targets @0 :List(RingTarget);
  timeoutMs @1 :UInt32;       # ring timeout from the INVITE being sent; 0 = 45000 (seed 000)
}

struct RingPlan {
  steps @0 :List(RingStep);   # tried in order until one is answered
  finalStatus @1 :UInt16;     # SIP status sent to the caller when every step fails (486, 480, 603)
  finalReason @2 :Text;       # reason phrase for finalStatus
  maxDurationS @3 :UInt32;    # call time limit (after-hours rule, seed 000); 0 = ingress default
  rule @4 :Text;              # name of the rule that produced the plan (bounded metrics label)
  sourceTag @5 :Text;         # source tag of the number, passed to the API (seed 000)
  number @6 :Text;            # the configured number the call was routed for (tracking/company)
  project @7 :Text;           # outbound calls (seed 002): the project the caller ID was chosen
                              # for; the call's outcome is written back under it (issue 20)
  outboundCallee @8 :Text;    # outbound calls: the callee's E.164, the outbound history's key
}

struct Reject {
  status @0 :UInt16;          # SIP status to answer with (404 unknown number, 482 loop, ...)
  reason @1 :Text;            # reason phrase; names what was wrong
}

struct RouteDecision {
  # router -> ingress, message type "route".
  callId @0 :Text;
  union {
    ring @1 :RingPlan;
    reject @2 :Reject;
  }
  trace @3 :List(Text);       # every rule considered and why it matched or not
  # How long the ingress may give this same decision to later calls to the same dialled text
  # (empty path, same kind) instead of asking again; 0 = this call only. Non-zero only when the
  # decision read nothing of the call but the number (no caller, time, presence or CRM).
  reusableForMs @4 :UInt32;
  configEpoch @5 :UInt64;     # the routing config it was made under (RoutingNotice.configEpoch)
}

struct RoutingNotice {
  # router -> every ingress, published (ZeroMQ PUB) at each config change and once a second. An
  # ingress reuses a kept decision only while its configEpoch is the one last announced.
  configEpoch @0 :UInt64;
}

struct Leg {
  # One outbound branch of a call.
  uri @0 :Text;               # where the INVITE went
  number @1 :Text;            # receiving number, E.164
  agentId @2 :Text;           # agent at that phone, empty when none
}

struct LegEnd {
  # How one rung leg ended (CallEnd.legEnds, index-aligned with CallEnd.rungLegs).
  status @0 :UInt16;          # its final SIP status: 200 answered, 408 rang out its step, 487
                              # cancelled by the ingress (another leg answered, the caller gave
                              # up), else what the phone answered; 0 = no final response seen
  ringing @1 :Bool;           # it sent 180/183 before it ended
}

struct LegFailure {
  leg @0 :Leg;
  status @1 :UInt16;          # final SIP status of the leg (408 for a ring timeout)
  reason @2 :Text;
}

enum EndReason {
  callerHangup @0;            # BYE from the caller
  calleeHangup @1;            # BYE from the callee
  callerCancel @2;            # CANCEL before answer
  rejected @3;                # refused before ringing (cap, unknown number, loop)
  noAnswer @4;                # every step timed out
  busy @5;                    # every target busy
  failed @6;                  # every target failed otherwise
  maxDuration @7;             # the call time limit ended it
  internalError @8;           # the cluster could not route it (router or limiter unreachable)
  delivered @9;               # a text (MESSAGE) was accepted by its target
}

struct CallEnd {
  answered @0 :Bool;
  answeredBy @1 :Leg;         # set when answered
  reason @2 :EndReason;
  status @3 :UInt16;          # final status the caller got (200 when answered)
  durationMs @4 :Int64;       # from offer to end
  talkMs @5 :Int64;           # from answer to end, 0 when unanswered
  rungLegs @6 :List(Leg);     # every leg that was tried (who missed it, for follow-up)
  number @7 :Text;            # configured number the call was for (company/tracking)
  rule @8 :Text;              # the router rule that planned the call ("outbound_caller_id" for an
                              # agent's outbound call: no follow-up notification is due)
  # For the call detail record (issue 20); offer and answer times are the event's atMs less
  # durationMs and talkMs.
  legEnds @9 :List(LegEnd);   # per rungLegs entry, same order: how that leg ended
  trace @10 :List(Text);      # the router's decision trace (RouteDecision.trace)
  sourceTag @11 :Text;        # the number's source tag (seed 000)
  callerZip @12 :Text;        # the ZIP the gateway supplied (X-Caller-Zip), empty when none
  recordingId @13 :Text;      # the media side's recording id (X-Recording-Id on the answer)
  project @14 :Text;          # outbound calls: RingPlan.project
  outboundCallee @15 :Text;   # outbound calls: RingPlan.outboundCallee
}

struct CallEvent {
  # ingress -> agent-presence and notification, message type "call-event"; acknowledged with
  # an EventAck carrying the same eventId. Delivery is at-least-once; receivers dedupe on eventId.
  eventId @0 :Text;           # "<ingress instance>:<sequence>", unique in the cluster
  callId @1 :Text;
  dialed @2 :Text;
  caller @3 :Text;
  atMs @4 :Int64;             # wall clock of the event
  kind @5 :CallKind;
  union {
    offered @6 :Void;         # a call arrived and was admitted
    legRinging @7 :Leg;       # a leg got 180/183
    answered @8 :Leg;         # a leg answered; the call is connected
    legFailed @9 :LegFailure; # a leg ended without answering
    ended @10 :CallEnd;       # the call is over (any path)
  }
  rule @11 :Text;             # offered: the router rule that planned the call, so the admins' live
                              # view can say why these phones ring (empty on other events)
}

struct EventAck {
  # receiver -> ingress, message type "event-ack": the event is durably handled.
  eventId @0 :Text;
}

struct CallEventBatch {
  # ingress -> agent-presence and notification, message type "call-events": the events of one
  # publishing tick (at most ~10 ms), in the order they happened. The batch is acknowledged as a
  # whole (EventAck) once every event in it is durably handled; a re-sent batch is harmless
  # because receivers apply each event idempotently (keyed on the Call-ID).
  events @0 :List(CallEvent);
}
