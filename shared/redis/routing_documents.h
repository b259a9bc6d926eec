#pragma once

// The routing table as versioned documents in Redis (keys: routing_keys in keys.h; contract in
// docs/provisioning.md). Every change is a new version with a higher number, the config epoch;
// one pointer names the active version and moves only inside one Lua script, so a reader sees the
// old document or the new one, never a mix. Rollback is a new version carrying an old text: the
// epoch never goes back, so a cached decision stamped with an older epoch can never look current.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shared/base/result.h"
#include "shared/redis/redis_client.h"

namespace callmesh::redis {

struct RoutingDocument {
  uint64_t version = 0;
  std::string yaml;  // empty in listings
  std::string sha;   // documentSha(yaml): equal texts, equal sha
  std::string author;
  std::string action;  // import, activate, rollback, put, delete, gitops ...
  int64_t at_ms = 0;
  uint64_t based_on = 0;  // the version active when it was made (0 = none)
};

struct ActivationRequest {
  std::string yaml;
  std::string author;
  std::string action;
  std::string diff;  // the audit's line diff against the active text
  int64_t at_ms = 0;
  // Optimistic concurrency: activate only while this version is active (0 = only while none is).
  std::optional<uint64_t> expected_active;
  // GitOps mirroring: no new version when the active document already has this text.
  bool skip_if_same = false;
};

struct ActivationResult {
  enum class Outcome { Activated, Conflict, Unchanged };
  Outcome outcome = Outcome::Activated;
  uint64_t version = 0;  // the new version; on Conflict/Unchanged the one active now
};

struct RoutingAuditEntry {
  std::string id;  // the stream entry id
  uint64_t epoch = 0;
  uint64_t based_on = 0;
  std::string who;
  std::string action;
  int64_t at_ms = 0;
  std::string diff;
};

struct ReplicaReport {
  std::string replica;
  uint64_t version = 0;
  int64_t at_ms = 0;
};

// Bounds on what the family keeps (docs/provisioning.md says why these numbers).
struct RoutingRetention {
  int versions = 500;         // documents kept besides the active one; older ones are deleted
  int audit_entries = 10000;  // audit stream length (MAXLEN ~)
  size_t diff_bytes = 65536;  // a longer diff is cut and marked in the audit
  int64_t replica_stale_ms = 600000;  // a replica silent this long leaves kReplicas
};

// FNV-1a 64 of the text, as 16 hex digits: identity for deduplication, not a security hash.
std::string documentSha(const std::string& yaml);

// Borrowed client; one instance per thread like the client itself.
class RoutingDocuments {
 public:
  explicit RoutingDocuments(RedisClient& redis, RoutingRetention retention = {});

  Result<uint64_t> activeVersion();  // 0 = none yet
  Result<std::optional<RoutingDocument>> document(uint64_t version);
  Result<std::optional<RoutingDocument>> active();
  // Newest first, at most `limit`, texts left out.
  Result<std::vector<RoutingDocument>> versions(size_t limit);
  Result<ActivationResult> activate(const ActivationRequest& req);
  // Newest first, at most `limit`.
  Result<std::vector<RoutingAuditEntry>> audit(size_t limit);
  // A router replica says which version it routes on (and drops long-silent replicas).
  Status reportLoaded(const std::string& replica, uint64_t version, int64_t at_ms);
  Result<std::vector<ReplicaReport>> replicas();

  const RoutingRetention& retention() const { return retention_; }

 private:
  RedisClient& redis_;
  RoutingRetention retention_;
  RedisScript activate_script_;
  RedisScript report_script_;
};

}  // namespace callmesh::redis
