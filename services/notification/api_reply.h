#pragma once

// How every API handler answers (docs/api/openapi.yaml): a JSON body, or a refusal
// {"error": code, "message": what is wrong, ...} that changed nothing.
#include <string>

#include <nlohmann/json.hpp>

#include "shared/base/error.h"

namespace httplib {
struct Response;
}  // namespace httplib

namespace callmesh::notification {

void reply(httplib::Response& res, int status, const nlohmann::json& body);

// `extra` fields are added beside "error" and "message" (e.g. "field", "claimed_by").
void refuse(httplib::Response& res, int status, const std::string& code, const std::string& message,
            const nlohmann::json& extra = nlohmann::json::object());

// 400 invalid_request for a body parseBody() or a rule refused; names Error::context as "field".
void refuseInput(httplib::Response& res, const Error& e);

// 503 unavailable: the state store (Redis) did not answer.
void redisDown(httplib::Response& res, const Error& e);

}  // namespace callmesh::notification
