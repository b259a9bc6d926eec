#pragma once

// Which handler answers a request, without a socket: the route groups register here (through
// ApiRoutes) and the HTTP transport calls dispatch() on a worker thread. Handlers keep
// cpp-httplib's Request/Response value types (plain structs, already what every route group is
// written against), so moving the transport to Boost.Beast changed no handler.
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <httplib.h>

#include "services/notification/event_hub.h"

namespace callmesh::notification {

using PlainHandler = std::function<void(const httplib::Request&, httplib::Response&)>;

// What a stream route grants: which events the stream shows, and what it holds while open (its
// slot in the stream caps; released when the stream closes). `shows` depends on the caller
// only, so the fan-out asks it once per agent and event, not once per stream (an agent's tabs).
struct StreamGrant {
  std::function<bool(const StreamEvent&)> shows;
  std::shared_ptr<void> slot;
  std::string agent;
};
// A stream route answers like any route (a refusal in `res`) or grants a stream; `res` then
// carries the headers and, in its body, the stream's first bytes.
using StreamStarter =
    std::function<std::optional<StreamGrant>(const httplib::Request&, httplib::Response&)>;

// One answer: the response, and for a granted stream, the grant.
struct RouteOutcome {
  httplib::Response res;
  std::optional<StreamGrant> stream;
};

class RouteTable {
 public:
  // cpp-httplib's names and patterns (a regex over the whole decoded path; req.matches holds its
  // groups); within one method the first registered match wins. HEAD runs GET's handler.
  void Get(const std::string& pattern, PlainHandler h) { add("GET", pattern, std::move(h)); }
  void Post(const std::string& pattern, PlainHandler h) { add("POST", pattern, std::move(h)); }
  void Put(const std::string& pattern, PlainHandler h) { add("PUT", pattern, std::move(h)); }
  void Delete(const std::string& pattern, PlainHandler h) { add("DELETE", pattern, std::move(h)); }
  // A GET that may become a Server-Sent Event stream.
  void Stream(const std::string& pattern, StreamStarter s);

  // `req` must stay where it is while the outcome is used: req.matches points into req.path.
  // No route: the API's JSON 404. A handler that set no status answered 200.
  RouteOutcome dispatch(httplib::Request& req) const;

 private:
  struct Route {
    std::string method;
    std::regex pattern;
    PlainHandler plain;
    StreamStarter stream;
  };
  void add(const std::string& method, const std::string& pattern, PlainHandler h);
  std::vector<Route> routes_;
};

// The handler's view of a request as read from the wire: the target split into the decoded path
// and query parameters, header names as sent (looked up case-insensitively), the peer's address.
void fillHandlerRequest(httplib::Request& req, std::string method, const std::string& target,
                        std::string body, std::string remote_addr, int remote_port);

}  // namespace callmesh::notification
