#pragma once

// The agent console's static files (console_routes.cpp), served without a token (the page asks
// for one). Only names consoleFile() allows; everything else is the API's usual JSON 404.
#include <string>

#include "services/notification/api_request.h"

namespace callmesh::notification {

// The reply for GET `path` from the built console in `console_dir`.
ApiReply consoleReply(const std::string& console_dir, const std::string& path);

}  // namespace callmesh::notification
