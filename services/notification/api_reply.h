#pragma once

// How every API handler answers (docs/api/openapi.yaml): a JSON body, or a refusal
// {"error": code, "message": what is wrong, ...} that changed nothing.
#include <string>

#include <nlohmann/json.hpp>

#include "services/notification/api_request.h"
#include "shared/base/error.h"
#include "shared/log/logger.h"

namespace callmesh::notification {

ApiReply reply(int status, const nlohmann::json& body);

// `extra` fields are added beside "error" and "message" (e.g. "field", "claimed_by").
ApiReply refuse(int status, const std::string& code, const std::string& message,
                const nlohmann::json& extra = nlohmann::json::object());

// 400 invalid_request for a body parseBody() or a rule refused; names Error::context as "field".
ApiReply refuseInput(const Error& e);

// 503 unavailable: `what` (the state store, agent-presence) did not answer. The body names the
// part, never its address or the driver's message; those go to the log (`dependency_failed`).
ApiReply unavailable(Logger& log, const std::string& what, const Error& e);
// The state store (Redis).
ApiReply redisDown(Logger& log, const Error& e);

}  // namespace callmesh::notification
