#pragma once

#include <string>

namespace callmesh::ingress {

// The identity of an answered dialog as the ingress saw it set up (RFC 3261 12): the Call-ID, the
// caller's From-tag, the answering phone's To-tag, and the two hops it runs between.
struct DialogIds {
  std::string call_id;
  std::string caller_tag;  // empty for an RFC 2543 caller (no From tag)
  std::string callee_tag;
  std::string caller_ip;      // the source address of the caller's INVITE
  std::string callee_ip;      // the source address of the answer (the answered target's hop)
  std::string callee_uri_ip;  // the answered target's host, when it is an address literal
};

// What an in-dialog request says about itself, and where it came from.
struct InDialogRequest {
  std::string call_id;
  std::string from_tag;
  std::string to_tag;
  std::string source_ip;
};

enum class DialogSide { FromCaller, FromCallee, NotInDialog };

// Issue 16, item 4: an in-dialog request belongs to the dialog only when its Call-ID and both
// tags match it in one direction (caller -> callee: From = caller's tag, To = callee's tag; or
// the reverse), and it comes from that direction's hop. Anything else (a made-up To-tag, the
// right tags from a third address) is not the dialog's: answered 481, relayed nowhere.
DialogSide sideOf(const DialogIds& dialog, const InDialogRequest& request);

}  // namespace callmesh::ingress
