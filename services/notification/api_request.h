#pragma once

// A request to one API handler and its reply, with no HTTP library in sight: every handler is a
// plain function ApiReply(ApiDeps&, const ApiRequest&, const Principal&) that a test calls
// directly and any transport (api_routes.cpp adapts cpp-httplib) serves.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace callmesh::notification {

struct ApiRequest {
  std::string method;                        // GET, POST, PUT, DELETE
  std::string path;                          // decoded path, for messages
  std::vector<std::string> params;           // the route pattern's captures, in order
  std::map<std::string, std::string> query;  // query parameters (the last of a repeated name)
  std::string body;
  std::string if_match;  // the If-Match header (the provisioning API's expected epoch), or ""

  const std::string& param(size_t i) const {
    static const std::string none;
    return i < params.size() ? params[i] : none;
  }
  bool hasQuery(const std::string& name) const { return query.count(name) != 0; }
  std::string queryValue(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  }
};

struct ApiReply {
  int status = 200;
  nlohmann::json body;  // null: no body (204)
  std::vector<std::pair<std::string, std::string>> headers;
  // For non-JSON bodies (the console's files): sent as-is when content_type is set.
  std::string raw_body;
  std::string content_type;

  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return {};
  }
};

}  // namespace callmesh::notification
