#include "services/notification/api_routes.h"

#include <httplib.h>

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
  return out;
}

std::function<void(const httplib::Request&, httplib::Response&)> ApiRoutes::guarded(
    Access access, ApiFunction handler) {
  ApiDeps& d = deps_;
  return [&d, access, handler](const httplib::Request& req, httplib::Response& res) {
    writeReply(
        guardedCall(d, access, req.get_header_value("Authorization"), requestOf(req), handler),
        res);
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

}  // namespace callmesh::notification
