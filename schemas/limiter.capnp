@0xb9b0f954ebbddc77;
# The concurrency-limiter protocol: leased call slots per dialed number (seed 004: 50-call cap).
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("callmesh::schema");

struct Slot {
  number @0 :Text;            # the capped number, E.164
  callId @1 :Text;            # SIP Call-ID holding the slot
}

struct LimiterRequest {
  # ingress (or API) -> concurrency-limiter, message type "limiter".
  union {
    acquire @0 :Slot;         # take a slot; idempotent for the same callId
    renew @1 :List(Slot);     # extend the leases of live calls (batched)
    release @2 :Slot;         # give a slot back; idempotent, never frees another call's slot
    usage @3 :Text;           # current use of one number
    releaseBatch @4 :List(Slot);  # give several slots back in one request (the ingress sends
                                  # the calls that ended in one 10 ms tick); each as `release`
  }
  releasesFirst @5 :List(Slot);   # with acquire: slots to give back before the acquire is
                                  # decided (calls that ended since the ingress last sent
                                  # releases), so the count never includes a call that ended
                                  # before this caller arrived. Freed iff the reply is `acquired`.
}

struct SlotGrant {
  granted @0 :Bool;           # true when the call holds a slot now
  inUse @1 :UInt32;           # slots in use on the number after this request
  cap @2 :UInt32;             # the number's cap
  leaseMs @3 :UInt32;         # how long the lease lives without a renew
}

struct LimiterReply {
  union {
    acquired @0 :SlotGrant;   # answer to acquire (granted or denied)
    renewed @1 :UInt32;       # how many of the renewed slots were still held
    released @2 :Bool;        # true when this call held a slot that is now free
    usage @3 :SlotGrant;      # answer to usage
    failed @4 :Text;          # the limiter could not decide (Redis unreachable): fail closed
    releasedBatch @5 :UInt32; # answer to releaseBatch: how many of the slots were held and are free
  }
}
