#pragma once

// One claim through the API (seed 004 "Claims"), shared by every route that claims: call back,
// text back, create a contact, associate a contact.
#include <optional>
#include <string>

#include "services/notification/api_deps.h"

namespace httplib {
struct Response;
}  // namespace httplib

namespace callmesh::notification {

// Claims notification `id` for `who` with `action`, counting the outcome; the first claim also
// records the time to claim and publishes `notification.claimed` on cm:events (so other agents'
// streams withdraw it). Returns the record after the claim; otherwise has answered the refusal
// (404 not visible, 409 already_claimed naming the holder, 503 Redis down) and returns nullopt.
std::optional<NotificationRecord> claimOrRefuse(ApiDeps& d, const std::string& id,
                                                const Principal& who, ClaimAction action,
                                                httplib::Response& res);

}  // namespace callmesh::notification
