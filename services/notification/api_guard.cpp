#include "services/notification/api_guard.h"

#include <exception>

#include "services/notification/api_reply.h"
#include "services/notification/api_tokens.h"

namespace callmesh::notification {

std::optional<ApiReply> accessRefusal(ApiDeps& d, Access access, const std::string& authorization,
                                      const ApiRequest& req, Principal& who) {
  auto found = d.tokens.authenticate(authorization);
  if (!found.ok()) {
    bool missing = found.error().kind == ErrorKind::InvalidInput;
    ApiReply r = refuse(401, "unauthenticated", found.error().message);
    r.headers.push_back(
        {"WWW-Authenticate", missing ? "Bearer" : "Bearer error=\"invalid_token\""});
    return r;
  }
  who = *found;
  if (access == Access::AdminOnly && !who.admin) {
    return refuse(403, "forbidden",
                  "role 'admin' required for " + req.method + " " + req.path + " (you are agent '" +
                      who.agent_id + "')");
  }
  return std::nullopt;
}

namespace {

ApiReply run(ApiDeps& d, Access access, const std::string& authorization, const ApiRequest& req,
             ApiFunction handler) {
  Principal who;
  if (auto refusal = accessRefusal(d, access, authorization, req, who)) return *refusal;
  try {
    return handler(d, req, who);
  } catch (const std::exception& e) {
    d.log.error("api_handler_failed", {{"path", req.path}, {"error", e.what()}});
    return refuse(500, "internal", "internal error");
  }
}

}  // namespace

ApiReply guardedCall(ApiDeps& d, Access access, const std::string& authorization,
                     const ApiRequest& req, ApiFunction handler) {
  ApiReply r = run(d, access, authorization, req, handler);
  d.metrics.requests(r.status).Increment();
  return r;
}

}  // namespace callmesh::notification
