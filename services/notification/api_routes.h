#pragma once

// How the API's route groups register their handlers. Each group (one file, one area of
// docs/api/openapi.yaml) adds its routes through ApiRoutes, which puts the bearer-token check,
// the admin check, the last-resort 500 and the request counter in front of every handler, so no
// handler can forget them.
#include <functional>
#include <string>

#include "services/notification/api_deps.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace callmesh::notification {

// A handler runs only for an authenticated caller, `who`.
using ApiHandler =
    std::function<void(const httplib::Request&, httplib::Response&, const Principal& who)>;

// Who may call a route: anyone holding a token, or admins only (an agent gets 403).
enum class Access { AnyToken, AdminOnly };

class ApiRoutes {
 public:
  ApiRoutes(httplib::Server& server, ApiDeps& deps) : server_(server), deps_(deps) {}

  // The dependencies every handler may capture by reference: they outlive the server.
  ApiDeps& deps() { return deps_; }
  // For routes that need no token (the console's static files); they count their own answers.
  httplib::Server& server() { return server_; }

  // Patterns are httplib regexes; within one method the first registered match wins.
  void get(const std::string& pattern, Access access, ApiHandler handler);
  void post(const std::string& pattern, Access access, ApiHandler handler);
  void put(const std::string& pattern, Access access, ApiHandler handler);
  void del(const std::string& pattern, Access access, ApiHandler handler);

 private:
  std::function<void(const httplib::Request&, httplib::Response&)> guarded(Access access,
                                                                           ApiHandler handler);

  httplib::Server& server_;
  ApiDeps& deps_;
};

// The route groups, in the order ApiServer registers them.
void addAgentRoutes(ApiRoutes& routes);          // agent_routes.cpp: /v1/me, presence, agents
void addNotificationRoutes(ApiRoutes& routes);   // notification_routes.cpp: lists and claims
void addTextRoutes(ApiRoutes& routes);           // text_routes.cpp: text back, /v1/texts
void addContactRoutes(ApiRoutes& routes);        // contact_routes.cpp: /v1/contacts (admin)
void addContactSearchRoutes(ApiRoutes& routes);  // contact_search_routes.cpp: /v1/me/contacts
void addNumberRoutes(ApiRoutes& routes);         // number_routes.cpp: settings, cap use (admin)
void addLiveCallRoutes(ApiRoutes& routes);       // live_call_routes.cpp: /v1/calls (admin)
void addStreamRoutes(ApiRoutes& routes);         // stream_routes.cpp: /v1/stream (SSE)
void addConsoleRoutes(ApiRoutes& routes);        // console_routes.cpp: the console's files

}  // namespace callmesh::notification
