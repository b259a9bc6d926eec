#include "services/notification/api_reply.h"

#include <httplib.h>

namespace callmesh::notification {

void reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump() + "\n", "application/json");
}

void refuse(httplib::Response& res, int status, const std::string& code, const std::string& message,
            const nlohmann::json& extra) {
  nlohmann::json body = {{"error", code}, {"message", message}};
  for (auto it = extra.begin(); it != extra.end(); ++it) body[it.key()] = it.value();
  reply(res, status, body);
}

void refuseInput(httplib::Response& res, const Error& e) {
  nlohmann::json extra = nlohmann::json::object();
  if (!e.context.empty()) extra["field"] = e.context;
  refuse(res, 400, "invalid_request", e.message, extra);
}

void redisDown(httplib::Response& res, const Error& e) {
  refuse(res, 503, "unavailable", "state store unavailable: " + e.describe());
}

}  // namespace callmesh::notification
