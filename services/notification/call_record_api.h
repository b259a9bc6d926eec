#pragma once

// Call detail records through the API (call_record_routes.cpp, admins only; issue 20):
//   GET /v1/call-records        filters number, agent, outcome, from_ms, to_ms; cursor paging
//   GET /v1/call-records.csv    the same filters as CSV, at most `limit` rows (<= 5000) per
//                               request; the next page's cursor in X-Next-Cursor
//   GET /v1/call-records/{id}   one record by Call-ID
//   GET /v1/calls/{id}/trace    why the call rang these phones: the rule, the router's trace,
//                               every leg and how it ended
#include "services/notification/api_deps.h"
#include "services/notification/api_request.h"

namespace callmesh::notification {

ApiReply listCallRecords(ApiDeps& d, const ApiRequest& req, const Principal& who);
ApiReply exportCallRecords(ApiDeps& d, const ApiRequest& req, const Principal& who);
ApiReply getCallRecord(ApiDeps& d, const ApiRequest& req, const Principal& who);
ApiReply getCallTrace(ApiDeps& d, const ApiRequest& req, const Principal& who);

}  // namespace callmesh::notification
