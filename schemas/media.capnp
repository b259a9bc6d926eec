@0xb43c7a0553c5a0f1;
# The media plane's control (issue 19, seed 000_246ae9c7ee9a1def.txt "Enhanced Forwarding"):
# notification -> ingress, message type "recording", one request per ingress replica (the one that
# holds the call carries it out; the others answer unknownCall).
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("callmesh::schema");

enum RecordingAction {
  stop @0;
  start @1;
}

struct RecordingCommand {
  callId @0 :Text;
  action @1 :RecordingAction;
  requestedBy @2 :Text;  # the API caller's agent id, for the ingress's log
}

enum RecordingOutcome {
  applied @0;      # rtpengine did it: the recording is now as asked
  unchanged @1;    # it already was (a repeated stop or start)
  unknownCall @2;  # this ingress holds no such call
  notAnswered @3;  # the call rings: nothing is recorded before the answer
  notAnchored @4;  # its media does not pass rtpengine (no media plane, rtpengine failed)
  prevented @5;    # the receiving number has prevent_recording, or media.record is off
  mediaFailed @6;  # rtpengine refused or did not answer
}

struct RecordingReply {
  outcome @0 :RecordingOutcome;
  recording @1 :Bool;     # whether the call is being recorded now
  segments @2 :UInt16;    # recording segments so far
  detail @3 :Text;        # mediaFailed: rtpengine's error
}
