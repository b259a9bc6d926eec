#pragma once

// One claim through the API (seed 004 "Claims"), shared by every route that claims: call back,
// text back, create a contact, associate a contact.
#include <string>

#include "services/notification/api_deps.h"
#include "services/notification/api_request.h"

namespace callmesh::notification {

struct ClaimReply {
  bool won = false;
  NotificationRecord record;  // after the claim, when won
  ApiReply refusal;           // when not won
};

// Claims notification `id` for `who` with `action`, counting the outcome; the first claim also
// records the time to claim and publishes `notification.claimed` on cm:events (so other users'
// streams withdraw it). Refusals: 404 not visible (indistinguishable from a missing id), 403 an
// unclaimed missed call the caller sees but was not selected for, 409 already_claimed naming the
// holder, 503 the state store down.
ClaimReply claimFor(ApiDeps& d, const std::string& id, const Principal& who, ClaimAction action);

// The 404 of a notification `who` may not see (the same words whether or not it exists).
ApiReply notificationNotFound(const std::string& id, const Principal& who);

}  // namespace callmesh::notification
