#include "services/notification/api_routes.h"

#include <httplib.h>

#include <exception>

#include "services/notification/api_reply.h"

namespace callmesh::notification {

std::function<void(const httplib::Request&, httplib::Response&)> ApiRoutes::guarded(
    Access access, ApiHandler handler) {
  ApiDeps& d = deps_;
  return [&d, access, handler = std::move(handler)](const httplib::Request& req,
                                                    httplib::Response& res) {
    const std::string& auth = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    if (auth.rfind(prefix, 0) != 0) {
      res.set_header("WWW-Authenticate", "Bearer");
      refuse(res, 401, "unauthenticated", "missing 'Authorization: Bearer <token>' header");
    } else if (auto it = d.config.notification.tokens.find(auth.substr(prefix.size()));
               it == d.config.notification.tokens.end()) {
      res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      refuse(res, 401, "unauthenticated", "unknown bearer token");
    } else {
      Principal who{it->second.agent_id, it->second.role == config::ApiRole::Admin};
      if (access == Access::AdminOnly && !who.admin) {
        refuse(res, 403, "forbidden",
               "role 'admin' required for " + req.method + " " + req.path + " (you are agent '" +
                   who.agent_id + "')");
      } else {
        try {
          handler(req, res, who);
        } catch (const std::exception& e) {
          d.log.error("api_handler_failed", {{"path", req.path}, {"error", e.what()}});
          refuse(res, 500, "internal", "internal error");
        }
      }
    }
    d.metrics.requests(res.status).Increment();
  };
}

void ApiRoutes::get(const std::string& pattern, Access access, ApiHandler handler) {
  server_.Get(pattern, guarded(access, std::move(handler)));
}

void ApiRoutes::post(const std::string& pattern, Access access, ApiHandler handler) {
  server_.Post(pattern, guarded(access, std::move(handler)));
}

void ApiRoutes::put(const std::string& pattern, Access access, ApiHandler handler) {
  server_.Put(pattern, guarded(access, std::move(handler)));
}

void ApiRoutes::del(const std::string& pattern, Access access, ApiHandler handler) {
  server_.Delete(pattern, guarded(access, std::move(handler)));
}

}  // namespace callmesh::notification
