#pragma once

// Follows the caps set at run time (the active routing document's number_caps and account_caps,
// config/runtime_caps.h; issue 20) on a thread of its own with its own Redis connection, so the
// limiter's loop never waits on the documents' Redis. The loop takes a new set between requests
// (take), applies it to its CapPolicy and says so (applied); the next poll reports that version in
// routing_keys::kReplicas, which the provisioning API waits for before it answers: a cap lowered
// through the API holds for the next call.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "shared/base/clock.h"
#include "shared/config/runtime_caps.h"
#include "shared/redis/redis_client_factory.h"
#include "shared/redis/routing_documents.h"

namespace callmesh::concurrency_limiter {

class CapFollower {
 public:
  // `replica_id` names this limiter in the replicas' reports ("limiter:<host>:<pid>").
  CapFollower(redis::RedisEndpoint documents, std::string replica_id, const Clock& clock,
              int poll_ms = 250);
  ~CapFollower();
  CapFollower(const CapFollower&) = delete;
  CapFollower& operator=(const CapFollower&) = delete;

  void start();
  // A version whose caps the loop has not applied yet, if any.
  std::optional<std::pair<uint64_t, config::RuntimeCaps>> take();
  void applied(uint64_t version) { applied_.store(version); }
  // The last problem reading the documents ("" when the last poll went well), for the log.
  std::string lastError() const;

 private:
  void run();
  void pollOnce();

  // One server or a Redis Cluster (redis.cluster_nodes): the documents share one slot.
  std::unique_ptr<redis::RedisClient> client_;
  // One for the follower's life: it keeps its scripts' SHAs, so a poll is an EVALSHA, not a
  // SCRIPT LOAD as well (four a second with a RoutingDocuments per poll).
  redis::RoutingDocuments docs_;
  std::string replica_;
  const Clock& clock_;
  int poll_ms_;
  std::atomic<uint64_t> applied_{0};
  uint64_t seen_ = 0;  // the follower thread's own
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::optional<std::pair<uint64_t, config::RuntimeCaps>> pending_;
  std::string error_;
  std::thread thread_;
};

}  // namespace callmesh::concurrency_limiter
