#pragma once

// Texts out through the API (text_routes.cpp; seed 004 "Texts"): text back on a notification (a
// claim), and a text to any E.164 number. The sender number comes from the sender-ID chain in
// text_sender.h; the text goes only to notification.text_gateway. Both count against the
// sender's per-agent rate (text_rate_limit.h): 429 with Retry-After, nothing sent or claimed.
#include "services/notification/api_deps.h"
#include "services/notification/api_request.h"

namespace callmesh::notification {

// POST /v1/notifications/{id}/text {"text", "from": personal|company}
ApiReply textBack(ApiDeps& d, const ApiRequest& req, const Principal& who);
// POST /v1/texts {"to", "text", "mode": manual|auto, "from"?, "agent_id"? (admins)}
ApiReply sendTextTo(ApiDeps& d, const ApiRequest& req, const Principal& who);

}  // namespace callmesh::notification
