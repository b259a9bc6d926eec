#include "services/notification/api_reply.h"

namespace callmesh::notification {

ApiReply reply(int status, const nlohmann::json& body) {
  ApiReply r;
  r.status = status;
  r.body = body;
  return r;
}

ApiReply refuse(int status, const std::string& code, const std::string& message,
                const nlohmann::json& extra) {
  nlohmann::json body = {{"error", code}, {"message", message}};
  for (auto it = extra.begin(); it != extra.end(); ++it) body[it.key()] = it.value();
  return reply(status, body);
}

ApiReply refuseInput(const Error& e) {
  nlohmann::json extra = nlohmann::json::object();
  if (!e.context.empty()) extra["field"] = e.context;
  return refuse(400, "invalid_request", e.message, extra);
}

ApiReply unavailable(Logger& log, const std::string& what, const Error& e) {
  log.warn("dependency_failed", {{"what", what}, {"error", e.describe()}});
  return refuse(503, "unavailable", what + " unavailable; try again shortly");
}

ApiReply redisDown(Logger& log, const Error& e) { return unavailable(log, "state store", e); }

}  // namespace callmesh::notification
