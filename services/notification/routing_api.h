#pragma once

// The provisioning API (admins only; docs/provisioning.md, docs/api/openapi.yaml): the routing
// table as versioned documents in Redis (shared/redis/routing_documents.h). Whole-table
// endpoints live in routing_routes.cpp, one entry at a time in routing_resource_routes.cpp, and
// both change the table through commitRouting (routing_commit.cpp).
#include <cstdint>
#include <optional>
#include <string>

#include "services/notification/api_deps.h"
#include "services/notification/api_request.h"
#include "shared/redis/routing_documents.h"

namespace callmesh::notification {

class ApiRoutes;

// How long an activation waits for every live router replica to report the new version before
// answering (converged: false after it). Replicas poll every 250 ms.
inline constexpr int kActivationWaitMs = 3000;
// A replica counts as live while its last report is this recent.
inline constexpr int64_t kReplicaLiveMs = 3000;

// A change to commit: the full new text and what produced it.
struct RoutingChange {
  std::string yaml;
  std::string action;                // activate, rollback, put, delete
  std::optional<uint64_t> if_match;  // the caller's expected active version (If-Match)
  std::string target;                // the resource changed ("tracking_numbers/+15550100"), if any
};

// Refuses when the file is the source of truth (router.routing_source: file): 409 gitops.
std::optional<ApiReply> gitOpsRefusal(const ApiDeps& d);
// The loader's verdict on `yaml`: nullopt when it loads, else 422 naming each field path.
std::optional<ApiReply> validationRefusal(const std::string& yaml);
// Validates, diffs against the active document, activates atomically (409 on an If-Match
// conflict) and waits for the router replicas. `base` is the active document the change was
// made from (nullopt when there is none).
ApiReply commitRouting(ApiDeps& d, const Principal& who, const RoutingChange& change,
                       const std::optional<redis::RoutingDocument>& base);
// The If-Match header as a version: nullopt when absent; 400 when it is not one.
std::optional<ApiReply> ifMatchRefusal(const ApiRequest& req, std::optional<uint64_t>& out);

void addRoutingRoutes(ApiRoutes& routes);          // routing_routes.cpp
void addRoutingResourceRoutes(ApiRoutes& routes);  // routing_resource_routes.cpp

}  // namespace callmesh::notification
