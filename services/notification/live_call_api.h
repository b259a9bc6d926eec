#pragma once

// Live calls through the API (live_call_routes.cpp; listing is admin only): what agent-presence
// holds for calls in progress, read through shared/redis/live_calls_reader.h (agent-presence owns
// them).
#include "services/notification/api_deps.h"
#include "services/notification/api_request.h"

namespace callmesh::notification {

ApiReply listLiveCalls(ApiDeps& d, const ApiRequest& req, const Principal& who);  // GET /v1/calls
// POST /v1/calls/{call_id}/recording (call_recording_routes.cpp): an admin, or the agent who
// answered the call, stops or starts its recording (seed 000 "Enhanced Forwarding").
ApiReply setCallRecording(ApiDeps& d, const ApiRequest& req, const Principal& who);

}  // namespace callmesh::notification
