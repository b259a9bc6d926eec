#include "services/router/routing_document_source.h"

#include <utility>

namespace callmesh::router {

RedisRoutingDocumentSource::RedisRoutingDocumentSource(redis::RedisClient& client,
                                                       std::string replica_id, const Clock& clock)
    : docs_(client), replica_(std::move(replica_id)), clock_(clock) {}

Result<std::optional<redis::RoutingDocument>> RedisRoutingDocumentSource::activeUnless(
    uint64_t loaded) {
  // The report goes first: the API's activation waits for every replica to report the new
  // version, and a replica reports only a version it already routes on.
  if (auto st = docs_.reportLoaded(replica_, loaded, clock_.nowMs()); !st.ok()) return st.error();
  auto active = docs_.activeVersion();
  if (!active.ok()) return active.error();
  if (*active == 0 || *active == loaded) return std::optional<redis::RoutingDocument>();
  auto doc = docs_.document(*active);
  if (!doc.ok()) return doc.error();
  if (!doc->has_value()) {
    return Error{ErrorKind::NotFound,
                 "active routing version " + std::to_string(*active) + " has no document",
                 "routing documents"};
  }
  return doc;
}

Status RedisRoutingDocumentSource::record(const std::string& yaml, const std::string& origin,
                                          const char* action, std::optional<uint64_t> expected,
                                          bool skip_if_same) {
  redis::ActivationRequest req;
  req.yaml = yaml;
  req.author = "file:" + origin;
  req.action = action;
  req.diff = "(whole document from " + origin + ")";
  req.at_ms = clock_.nowMs();
  req.expected_active = expected;
  req.skip_if_same = skip_if_same;
  auto r = docs_.activate(req);
  if (!r.ok()) return r.error();
  return {};
}

Status RedisRoutingDocumentSource::seed(const std::string& yaml, const std::string& origin) {
  return record(yaml, origin, "import", /*expected=*/0, false);
}

Status RedisRoutingDocumentSource::mirror(const std::string& yaml, const std::string& origin) {
  return record(yaml, origin, "gitops", std::nullopt, true);
}

}  // namespace callmesh::router
