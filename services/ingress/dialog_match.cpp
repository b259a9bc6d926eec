#include "services/ingress/dialog_match.h"

namespace callmesh::ingress {

DialogSide sideOf(const DialogIds& dialog, const InDialogRequest& request) {
  if (request.call_id.empty() || request.call_id != dialog.call_id || dialog.callee_tag.empty())
    return DialogSide::NotInDialog;
  bool from_caller = request.from_tag == dialog.caller_tag && request.to_tag == dialog.callee_tag;
  bool from_callee = request.from_tag == dialog.callee_tag && request.to_tag == dialog.caller_tag;
  bool at_caller = !request.source_ip.empty() && request.source_ip == dialog.caller_ip;
  bool at_callee = !request.source_ip.empty() && (request.source_ip == dialog.callee_ip ||
                                                  request.source_ip == dialog.callee_uri_ip);
  if (from_caller && at_caller) return DialogSide::FromCaller;
  if (from_callee && at_callee) return DialogSide::FromCallee;
  return DialogSide::NotInDialog;
}

}  // namespace callmesh::ingress
