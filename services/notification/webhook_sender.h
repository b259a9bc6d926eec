#pragma once

// One webhook POST over HTTP/1.1 with Boost.Beast (issue 20): a fresh connection per delivery
// (closed after it, so connections = the dispatcher's workers), connect and whole-request
// timeouts, the response's header and body bounded, and redirects never followed (a 3xx is a
// failure like any non-2xx). Blocking: runs on a dispatcher worker thread.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "services/notification/webhook_rules.h"
#include "shared/base/result.h"

namespace callmesh::notification {

struct WebhookRequest {
  WebhookUrl url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct WebhookSendLimits {
  int connect_timeout_ms = 3000;
  int request_timeout_ms = 10000;
  size_t max_response_header_bytes = 8 * 1024;
  size_t max_response_body_bytes = 64 * 1024;
};

// The receiver's status (any status it answered, the caller decides what succeeded), or an
// error naming what failed (resolve, connect, timeout, a response over the limits).
Result<int> postWebhook(const WebhookRequest& request, const WebhookSendLimits& limits);

}  // namespace callmesh::notification
