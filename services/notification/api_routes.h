#pragma once

// How the API's route groups register their handlers. Each group (one file, one area of
// docs/api/openapi.yaml) adds its routes through ApiRoutes, which puts the bearer-token check,
// the admin check, the last-resort 500 and the request counter in front of every handler, so no
// handler can forget them.
#include <functional>
#include <string>

#include "services/notification/api_deps.h"
#include "services/notification/api_gate.h"
#include "services/notification/http_router.h"

namespace callmesh::notification {

// A handler runs only for an authenticated caller, `who`.
using ApiHandler =
    std::function<void(const httplib::Request&, httplib::Response&, const Principal& who)>;

// Who may call a route: anyone holding a token, or admins only (an agent gets 403).
enum class Access { AnyToken, AdminOnly };

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
  void get(const std::string& pattern, Access access, ApiHandler handler);
  void post(const std::string& pattern, Access access, ApiHandler handler);
  void put(const std::string& pattern, Access access, ApiHandler handler);
  void del(const std::string& pattern, Access access, ApiHandler handler);
  // GET `pattern` as a Server-Sent Event stream (http_session.h keeps its socket).
  void stream(const std::string& pattern, Access access, StreamHandler handler);

 private:
  std::function<void(const httplib::Request&, httplib::Response&)> guarded(Access access,
                                                                           ApiHandler handler);

  RouteTable& server_;
  ApiDeps& deps_;
  ApiGate& gate_;
};

// The route groups, in the order ApiServer registers them.
void addAgentRoutes(ApiRoutes& routes);         // agent_routes.cpp: /v1/me, presence, agents
void addNotificationRoutes(ApiRoutes& routes);  // notification_routes.cpp: lists and claims
void addTextRoutes(ApiRoutes& routes);          // text_routes.cpp: text back, /v1/texts
void addContactRoutes(ApiRoutes& routes);       // contact_routes.cpp: /v1/contacts (admin)
void addNumberRoutes(ApiRoutes& routes);        // number_routes.cpp: settings, cap use (admin)
void addLiveCallRoutes(ApiRoutes& routes);      // live_call_routes.cpp: /v1/calls (admin)
void addStreamRoutes(ApiRoutes& routes);        // stream_routes.cpp: /v1/stream (SSE)
void addConsoleRoutes(ApiRoutes& routes);       // console_routes.cpp: the console's files

}  // namespace callmesh::notification
