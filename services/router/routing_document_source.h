#pragma once

// The router's side of the versioned routing documents (shared/redis/routing_documents.h,
// docs/provisioning.md): which version is active, this replica's report of the version it
// routes on, the seed of an empty Redis and the GitOps mirror of the routing file. Used by one
// thread at a time (the router's helper thread, or the loop thread before the first load).
#include <cstdint>
#include <optional>
#include <string>

#include "shared/base/clock.h"
#include "shared/base/result.h"
#include "shared/redis/routing_documents.h"

namespace callmesh::router {

class RoutingDocumentSource {
 public:
  virtual ~RoutingDocumentSource() = default;
  // Reports `loaded` (0 = none) as this replica's version, then returns the active document when
  // it is another version (nullopt when it is `loaded`, or when none is active yet).
  virtual Result<std::optional<redis::RoutingDocument>> activeUnless(uint64_t loaded) = 0;
  // Makes `yaml` the first version when none is active yet (redis mode on a fresh cluster); a
  // replica that loses the race to another changes nothing.
  virtual Status seed(const std::string& yaml, const std::string& origin) = 0;
  // GitOps: records the file's text as a new active version unless the active one has this text
  // already (every replica mirrors the same file: the first one adds it, the rest find it there).
  virtual Status mirror(const std::string& yaml, const std::string& origin) = 0;
};

class RedisRoutingDocumentSource final : public RoutingDocumentSource {
 public:
  // `client` is borrowed and used by one thread at a time; `replica_id` names this process in
  // routing_keys::kReplicas.
  RedisRoutingDocumentSource(redis::RedisClient& client, std::string replica_id,
                             const Clock& clock);

  Result<std::optional<redis::RoutingDocument>> activeUnless(uint64_t loaded) override;
  Status seed(const std::string& yaml, const std::string& origin) override;
  Status mirror(const std::string& yaml, const std::string& origin) override;

 private:
  Status record(const std::string& yaml, const std::string& origin, const char* action,
                std::optional<uint64_t> expected, bool skip_if_same);

  redis::RoutingDocuments docs_;
  std::string replica_;
  const Clock& clock_;
};

}  // namespace callmesh::router
