#pragma once

// What stands in front of every API handler, whatever the transport: the bearer token, the admin
// check, the last-resort 500 and the request counter. A plain function, so tests and any HTTP
// layer run a handler exactly as the server does.
#include <optional>
#include <string>

#include "services/notification/api_deps.h"
#include "services/notification/api_request.h"

namespace callmesh::notification {

// A handler: runs only for an authenticated caller `who`; a plain function of its inputs.
using ApiFunction = ApiReply (*)(ApiDeps& d, const ApiRequest& req, const Principal& who);

// Who may call a route: anyone holding a token, or admins only (an agent gets 403).
enum class Access { AnyToken, AdminOnly };

// The 401/403 for a caller who may not use a route of `access`, or nullopt with `who` filled.
// For routes that are not plain handlers (the event stream).
std::optional<ApiReply> accessRefusal(ApiDeps& d, Access access, const std::string& authorization,
                                      const ApiRequest& req, Principal& who);

// Authenticates `authorization` (the Authorization header's value), checks `access`, runs
// `handler`, counts the reply's status. 401 (with WWW-Authenticate) for a missing or unknown
// token, 403 for an agent on an admin route, 500 "internal error" if the handler throws.
ApiReply guardedCall(ApiDeps& d, Access access, const std::string& authorization,
                     const ApiRequest& req, ApiFunction handler);

}  // namespace callmesh::notification
