@0xccc95a05b1c0f9d6;
# Agent presence: what agents set, and what routing asks (blast and queues skip the unavailable).
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("callmesh::schema");

enum Availability {
  available @0;
  away @1;
  offline @2;
  doNotDisturb @3;
}

struct AgentState {
  agentId @0 :Text;
  availability @1 :Availability;  # what the agent set
  ringing @2 :UInt32;             # legs ringing at the agent now (from call events)
  onCall @3 :UInt32;              # connected calls at the agent now (from call events)
  changedAtMs @4 :Int64;          # wall clock of the last change
  idleSinceMs @5 :Int64;          # wall clock since when the agent has no call (0 = unknown)
  inWorkingHours @6 :Bool;        # inside the agent's configured working hours now
}

struct PresenceRequest {
  # router/API -> agent-presence, message type "presence".
  union {
    query @0 :List(Text);         # agent ids to report
    update @1 :AgentState;        # set availability (ringing/onCall are ignored: derived)
  }
}

struct PresenceReply {
  agents @0 :List(AgentState);    # one per queried agent; unknown agents come back offline
  error @1 :Text;                 # non-empty when the request could not be served
}
