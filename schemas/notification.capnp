@0xd36f06076cc5d613;
# Follow-up notifications (seed 004): missed calls and texts from unknown callers, claims.
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("callmesh::schema");

enum NotificationKind {
  missedCall @0;       # an unknown caller's call nobody answered: visible to all selected agents
  text @1;             # a text from an unknown number: visible to all selected agents
  answeredCall @2;     # an unknown caller's answered call: visible to the answering agent only
}

enum ClaimAction {
  callBack @0;
  textBack @1;
  createContact @2;
  associateContact @3;
}

struct Notification {
  notificationId @0 :Text;       # derived from the call id, so one call gives one notification
  kind @1 :NotificationKind;
  callId @2 :Text;
  number @3 :Text;               # the company/tracking number that was called
  caller @4 :Text;               # the unknown caller's number
  visibleTo @5 :List(Text);      # agent ids who see it while unclaimed
  createdAtMs @6 :Int64;
}

struct NotificationEvent {
  # notification -> live subscribers (API streams), message type "notification".
  notification @0 :Notification;
  union {
    created @1 :Void;
    claimed @2 :Claim;           # withdrawn for everyone but the claimer
  }
}

struct Claim {
  agentId @0 :Text;              # who claimed it first
  action @1 :ClaimAction;
  atMs @2 :Int64;
}
