#pragma once

// Company numbers through the API (number_routes.cpp, admin only): each number's follow-up
// settings (seed 004 "Source & Tag", selected agents) and its cap use (calls holding the
// limiter's slots now). seed 004: "Only the Team Owner/Admin can edit Company Number settings."
#include "services/notification/api_deps.h"
#include "services/notification/api_request.h"

namespace callmesh::notification {

ApiReply listNumbers(ApiDeps& d, const ApiRequest& req, const Principal& who);  // GET /v1/numbers
ApiReply getNumber(ApiDeps& d, const ApiRequest& req, const Principal& who);  // GET /v1/numbers/{n}
ApiReply putNumber(ApiDeps& d, const ApiRequest& req, const Principal& who);  // PUT /v1/numbers/{n}

}  // namespace callmesh::notification
