#pragma once

// How the API's route groups are served by the HTTP transport (http_router.h, which keeps
// cpp-httplib's Request/Response structs): each route is a pattern, an Access and a plain handler
// function (api_guard.h); this adapter, the only one, turns the router's request into an
// ApiRequest and the ApiReply back into a response, with the gate's per-caller rate in front. The
// handlers themselves know nothing of HTTP libraries (one header per resource: auth_api.h,
// notification_api.h, text_api.h, agent_api.h, contact_api.h, number_api.h, live_call_api.h,
// console_api.h).
#include <string>

#include "services/notification/api_deps.h"
#include "services/notification/api_gate.h"
#include "services/notification/api_guard.h"
#include "services/notification/http_router.h"

namespace callmesh::notification {

// Copies `reply` into `res` (status, headers, JSON or raw body).
void writeReply(const ApiReply& reply, httplib::Response& res);
// The transport-free view of `req`.
ApiRequest requestOf(const httplib::Request& req);

// A stream route runs only for an authenticated caller and answers the filter of the events
// that caller may see (nullptr with a refusal in `res`); the caps on open streams are applied
// by ApiRoutes before the stream opens.
using StreamHandler = std::function<std::function<bool(const StreamEvent&)>(
    const httplib::Request&, httplib::Response&, const Principal& who)>;

class ApiRoutes {
 public:
  ApiRoutes(RouteTable& server, ApiDeps& deps, ApiGate& gate)
      : server_(server), deps_(deps), gate_(gate) {}

  // The dependencies every handler may capture by reference: they outlive the server.
  ApiDeps& deps() { return deps_; }
  // For routes that need no token (the console's static files); they count their own answers.
  RouteTable& server() { return server_; }

  // Patterns are httplib regexes; within one method the first registered match wins.
  void get(const std::string& pattern, Access access, ApiFunction handler);
  void post(const std::string& pattern, Access access, ApiFunction handler);
  void put(const std::string& pattern, Access access, ApiFunction handler);
  void del(const std::string& pattern, Access access, ApiFunction handler);
  // GET `pattern` as a Server-Sent Event stream (http_session.h keeps its socket).
  void stream(const std::string& pattern, Access access, StreamHandler handler);

 private:
  std::function<void(const httplib::Request&, httplib::Response&)> guarded(Access access,
                                                                           ApiFunction handler);

  RouteTable& server_;
  ApiDeps& deps_;
  ApiGate& gate_;
};

// The route groups, in the order ApiServer registers them.
void addAgentRoutes(ApiRoutes& routes);          // agent_routes.cpp: /v1/me, presence, agents
void addNotificationRoutes(ApiRoutes& routes);   // notification_routes.cpp: lists and claims
void addTextRoutes(ApiRoutes& routes);           // text_routes.cpp: text back, /v1/texts
void addContactRoutes(ApiRoutes& routes);        // contact_routes.cpp: /v1/contacts (admin)
void addContactSearchRoutes(ApiRoutes& routes);  // contact_search_routes.cpp: /v1/me/contacts
void addNumberRoutes(ApiRoutes& routes);         // number_routes.cpp: settings, cap use (admin)
void addLiveCallRoutes(ApiRoutes& routes);       // live_call_routes.cpp: /v1/calls (admin)
void addCallRecordRoutes(ApiRoutes& routes);     // call_record_routes.cpp: records (admin)
void addWebhookRoutes(ApiRoutes& routes);        // webhook_routes.cpp: /v1/webhooks (admin)
void addStreamRoutes(ApiRoutes& routes);         // stream_routes.cpp: /v1/stream (SSE)
void addConsoleRoutes(ApiRoutes& routes);        // console_routes.cpp: the console's files
// routing_routes.cpp, routing_resource_routes.cpp: the provisioning API (routing_api.h)
void addRoutingRoutes(ApiRoutes& routes);
void addRoutingResourceRoutes(ApiRoutes& routes);

}  // namespace callmesh::notification
