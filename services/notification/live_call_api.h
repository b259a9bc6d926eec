#pragma once

// Live calls through the API (live_call_routes.cpp, admin only): what agent-presence holds for
// calls in progress, read through shared/redis/live_calls_reader.h (agent-presence owns them).
#include "services/notification/api_deps.h"
#include "services/notification/api_request.h"

namespace callmesh::notification {

ApiReply listLiveCalls(ApiDeps& d, const ApiRequest& req, const Principal& who);  // GET /v1/calls

}  // namespace callmesh::notification
