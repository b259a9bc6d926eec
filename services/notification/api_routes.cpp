#include "services/notification/api_routes.h"

#include <httplib.h>

#include <exception>

#include "services/notification/api_reply.h"

namespace callmesh::notification {

namespace {

// Everything in front of a handler: the bearer token, the caller's request rate, the role,
// the last-resort 500 and the request counter. `run` is the handler, for `who`.
void guard(ApiDeps& d, ApiGate& gate, Access access, const httplib::Request& req,
           httplib::Response& res, const std::function<void(const Principal&)>& run) {
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
    if (int wait = gate.callerThrottled(who.agent_id); wait > 0) {
      res.set_header("Retry-After", std::to_string(wait));
      refuse(res, 429, "too_many_requests",
             "more than " + std::to_string(gate.limits().rate_per_s) +
                 " requests per second for '" + who.agent_id + "'; retry after " +
                 std::to_string(wait) + " s");
    } else if (access == Access::AdminOnly && !who.admin) {
      refuse(res, 403, "forbidden",
             "role 'admin' required for " + req.method + " " + req.path + " (you are agent '" +
                 who.agent_id + "')");
    } else {
      try {
        run(who);
      } catch (const std::exception& e) {
        d.log.error("api_handler_failed", {{"path", req.path}, {"error", e.what()}});
        refuse(res, 500, "internal", "internal error");
      }
    }
  }
  d.metrics.requests(res.status).Increment();
}

}  // namespace

std::function<void(const httplib::Request&, httplib::Response&)> ApiRoutes::guarded(
    Access access, ApiHandler handler) {
  ApiDeps& d = deps_;
  ApiGate& gate = gate_;
  return [&d, &gate, access, handler = std::move(handler)](const httplib::Request& req,
                                                           httplib::Response& res) {
    guard(d, gate, access, req, res, [&](const Principal& who) { handler(req, res, who); });
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

void ApiRoutes::stream(const std::string& pattern, Access access, StreamHandler handler) {
  ApiDeps& d = deps_;
  ApiGate& gate = gate_;
  server_.Stream(pattern, [&d, &gate, access, handler = std::move(handler)](
                              const httplib::Request& req, httplib::Response& res) {
    std::optional<StreamGrant> grant;
    guard(d, gate, access, req, res, [&](const Principal& who) {
      auto shows = handler(req, res, who);
      if (!shows) return;
      Refusal why = Refusal::StreamsReplica;
      auto slot = gate.openStream(who.agent_id, why);
      if (!slot && why == Refusal::StreamsPerAgent) {
        // The agent may close a tab; a console retries on its own after Retry-After.
        res.set_header("Retry-After", "5");
        return refuse(res, 429, "too_many_streams",
                      "'" + who.agent_id + "' already has " +
                          std::to_string(gate.limits().streams_per_agent) +
                          " open streams (notification.api_streams_per_agent)");
      }
      if (!slot) {
        res.set_header("Retry-After", "5");
        return refuse(res, 503, "unavailable",
                      "this replica holds its maximum of " +
                          std::to_string(gate.limits().streams_max) + " streams");
      }
      res.status = 200;
      grant = StreamGrant{std::move(shows), std::move(*slot), who.agent_id};
    });
    return grant;
  });
}

}  // namespace callmesh::notification
