#include "services/notification/api_routes.h"

#include <httplib.h>

#include <exception>

#include "services/notification/api_reply.h"

namespace callmesh::notification {

void writeReply(const ApiReply& reply, httplib::Response& res) {
  res.status = reply.status;
  for (const auto& [k, v] : reply.headers) res.set_header(k, v);
  if (!reply.content_type.empty()) {
    res.set_content(reply.raw_body, reply.content_type);
  } else if (!reply.body.is_null()) {
    res.set_content(reply.body.dump() + "\n", "application/json");
  }
}

ApiRequest requestOf(const httplib::Request& req) {
  ApiRequest out;
  out.method = req.method;
  out.path = req.path;
  for (size_t i = 1; i < req.matches.size(); ++i) out.params.push_back(req.matches[i]);
  for (const auto& [k, v] : req.params) out.query[k] = v;
  out.body = req.body;
  out.if_match = req.get_header_value("If-Match");
  return out;
}

namespace {

// Everything in front of a handler: the bearer token and role (api_guard.h), the caller's
// request rate (the gate), the last-resort 500 and the request counter. `run` answers for `who`
// into `res`. Failed sign-ins are throttled per address by the transport (http_session.cpp
// counts the 401s this writes).
void guard(ApiDeps& d, ApiGate& gate, Access access, const httplib::Request& req,
           httplib::Response& res, const std::function<void(const Principal&)>& run) {
  ApiRequest view = requestOf(req);
  Principal who;
  auto refusal = accessRefusal(d, access, req.get_header_value("Authorization"), view, who);
  if (refusal && refusal->status == 401) {
    writeReply(*refusal, res);
  } else if (int wait = gate.callerThrottled(who.agent_id); wait > 0) {
    // The caller is known (a 403 too): its rate counts before its role is looked at.
    ApiReply r = refuse(429, "too_many_requests",
                        "more than " + std::to_string(gate.limits().rate_per_s) +
                            " requests per second for '" + who.agent_id + "'; retry after " +
                            std::to_string(wait) + " s");
    r.headers.push_back({"Retry-After", std::to_string(wait)});
    writeReply(r, res);
  } else if (refusal) {
    writeReply(*refusal, res);
  } else {
    try {
      run(who);
    } catch (const std::exception& e) {
      d.log.error("api_handler_failed", {{"path", req.path}, {"error", e.what()}});
      res = httplib::Response();
      writeReply(refuse(500, "internal", "internal error"), res);
    }
  }
  d.metrics.requests(res.status).Increment();
}

}  // namespace

std::function<void(const httplib::Request&, httplib::Response&)> ApiRoutes::guarded(
    Access access, ApiFunction handler) {
  ApiDeps& d = deps_;
  ApiGate& gate = gate_;
  return [&d, &gate, access, handler](const httplib::Request& req, httplib::Response& res) {
    guard(d, gate, access, req, res,
          [&](const Principal& who) { writeReply(handler(d, requestOf(req), who), res); });
  };
}

void ApiRoutes::get(const std::string& pattern, Access access, ApiFunction handler) {
  server_.Get(pattern, guarded(access, handler));
}

void ApiRoutes::post(const std::string& pattern, Access access, ApiFunction handler) {
  server_.Post(pattern, guarded(access, handler));
}

void ApiRoutes::put(const std::string& pattern, Access access, ApiFunction handler) {
  server_.Put(pattern, guarded(access, handler));
}

void ApiRoutes::del(const std::string& pattern, Access access, ApiFunction handler) {
  server_.Delete(pattern, guarded(access, handler));
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
        ApiReply r = refuse(429, "too_many_streams",
                            "'" + who.agent_id + "' already has " +
                                std::to_string(gate.limits().streams_per_agent) +
                                " open streams (notification.api_streams_per_agent)");
        r.headers.push_back({"Retry-After", "5"});
        return writeReply(r, res);
      }
      if (!slot) {
        ApiReply r = refuse(503, "unavailable",
                            "this replica holds its maximum of " +
                                std::to_string(gate.limits().streams_max) + " streams");
        r.headers.push_back({"Retry-After", "5"});
        return writeReply(r, res);
      }
      res.status = 200;
      // The fan-out caches a verdict per key: one agent id may hold an agent and an admin token,
      // whose streams see different events.
      std::string key = who.agent_id + (who.admin ? "\n(admin)" : "");
      grant = StreamGrant{std::move(shows), std::move(*slot), std::move(key)};
    });
    return grant;
  });
}

}  // namespace callmesh::notification
