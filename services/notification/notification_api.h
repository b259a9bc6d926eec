#pragma once

// Notifications and records through the API (notification_routes.cpp; seed 004 "Call
// Notification"): an agent's lists (paged by cursor), one record, the admin's unclaimed list,
// and the claims that are not texts (call back, create or associate a contact). Texting back is
// in text_api.h. Handlers are plain functions (api_guard.h).
#include "services/notification/api_deps.h"
#include "services/notification/api_request.h"

namespace callmesh::notification {

// GET /v1/notifications?state=all|unclaimed|claimed&limit=&cursor=
ApiReply listNotifications(ApiDeps& d, const ApiRequest& req, const Principal& who);
// GET /v1/records?limit=&cursor=: the caller's answered calls.
ApiReply listRecords(ApiDeps& d, const ApiRequest& req, const Principal& who);
// GET /v1/notifications/unclaimed?limit=&cursor= (admin)
ApiReply listUnclaimedNotifications(ApiDeps& d, const ApiRequest& req, const Principal& who);
// GET /v1/notifications/{id}
ApiReply getNotification(ApiDeps& d, const ApiRequest& req, const Principal& who);
// POST /v1/notifications/{id}/claim {"action": call_back|text_back}
ApiReply claimNotification(ApiDeps& d, const ApiRequest& req, const Principal& who);
// POST /v1/notifications/{id}/contact {"name", "primary_agent"?}
ApiReply createContactFromNotification(ApiDeps& d, const ApiRequest& req, const Principal& who);
// POST /v1/notifications/{id}/associate {"contact_id"}
ApiReply associateContact(ApiDeps& d, const ApiRequest& req, const Principal& who);

}  // namespace callmesh::notification
