#pragma once

// Webhooks through the API (webhook_routes.cpp, admins only; issue 20):
//   POST   /v1/webhooks               {url, events}: 201 with the secret (shown this once)
//   GET    /v1/webhooks               the subscriptions, without secrets
//   DELETE /v1/webhooks/{id}          204; its pending deliveries are dropped
//   GET    /v1/webhooks/dead-letters  deliveries given up, newest first (offset, limit)
#include "services/notification/api_deps.h"
#include "services/notification/api_request.h"

namespace callmesh::notification {

ApiReply createWebhook(ApiDeps& d, const ApiRequest& req, const Principal& who);
ApiReply listWebhooks(ApiDeps& d, const ApiRequest& req, const Principal& who);
ApiReply deleteWebhook(ApiDeps& d, const ApiRequest& req, const Principal& who);
ApiReply listDeadLetters(ApiDeps& d, const ApiRequest& req, const Principal& who);

}  // namespace callmesh::notification
