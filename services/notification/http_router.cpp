#include "services/notification/http_router.h"

#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"

namespace callmesh::notification {

void RouteTable::add(const std::string& method, const std::string& pattern, PlainHandler h) {
  routes_.push_back(Route{method, std::regex(pattern), std::move(h), nullptr});
}

void RouteTable::Stream(const std::string& pattern, StreamStarter s) {
  routes_.push_back(Route{"GET", std::regex(pattern), nullptr, std::move(s)});
}

RouteOutcome RouteTable::dispatch(httplib::Request& req) const {
  RouteOutcome out;
  const std::string& method = req.method == "HEAD" ? std::string("GET") : req.method;
  for (const auto& r : routes_) {
    if (r.method != method || !std::regex_match(req.path, req.matches, r.pattern)) continue;
    if (r.stream) {
      out.stream = r.stream(req, out.res);
      // HEAD learns the headers a stream would have, and opens nothing.
      if (req.method == "HEAD") out.stream.reset();
    } else {
      r.plain(req, out.res);
    }
    if (out.res.status == -1) out.res.status = 200;
    return out;
  }
  writeReply(refuse(404, "not_found", "no route " + req.method + " " + req.path), out.res);
  return out;
}

void fillHandlerRequest(httplib::Request& req, std::string method, const std::string& target,
                        std::string body, std::string remote_addr, int remote_port) {
  req.method = std::move(method);
  req.target = target;
  auto q = target.find('?');
  req.path = httplib::detail::decode_url(target.substr(0, q), false);
  if (q != std::string::npos) httplib::detail::parse_query_text(target.substr(q + 1), req.params);
  req.body = std::move(body);
  req.remote_addr = std::move(remote_addr);
  req.remote_port = remote_port;
  req.version = "HTTP/1.1";
}

}  // namespace callmesh::notification
