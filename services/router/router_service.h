#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <capnp/common.h>
#include <kj/array.h>
#include <zmq.hpp>

#include "services/router/agent_availability.h"
#include "services/router/contact_directory.h"
#include "services/router/outbound_history.h"
#include "services/router/queue_strategy.h"
#include "services/router/random_source.h"
#include "services/router/route_planner.h"
#include "services/router/router_metrics.h"
#include "services/router/routing_config.h"
#include "services/router/routing_document_source.h"
#include "shared/base/result.h"
#include "shared/log/logger.h"

namespace callmesh::router {

// Wiring between RouteRequest frames and the RoutePlanner, plus config reload.
// Owned by the router's loop thread. `presence`, `contacts`, `outbound` (seed 002's per-contact
// caller-ID history) and `random` are borrowed and must outlive it. A decision that read nothing
// of the call but the dialled number is marked reusable for `decision_reuse_ms` (0 = never).
class RouterService {
 public:
  RouterService(std::string routing_file, int decision_reuse_ms, RouterMetrics& metrics,
                Logger& log, const AgentAvailability& presence, const ContactDirectory& contacts,
                OutboundHistory& outbound, RandomSource& random);

  // Versioned documents in Redis (docs/provisioning.md), borrowed. `redis_is_source`: route on
  // the active document (routing_source: redis; the file, if any, only seeds an empty Redis);
  // otherwise the file stays the truth and each version of it that loads is mirrored to Redis
  // (GitOps). Call before loadInitial.
  void useDocuments(RoutingDocumentSource* documents, bool redis_is_source) {
    documents_ = documents;
    from_documents_ = documents != nullptr && redis_is_source;
  }
  // Loads the routing file (or the active document) at startup; an error here is fatal for the
  // process.
  Status loadInitial();
  // Reloads when asked (SIGHUP) or when the file changed. A broken file leaves the running config
  // in place and logs why; returns whether a new config is now active. "Changed" compares what
  // stat(2) sees through symlinks (device, inode, size, mtime), so the kubelet's ConfigMap update
  // (an atomic swap of the `..data` symlink to a new directory) is noticed even when the new file
  // carries an older or equal mtime.
  bool reloadIfChanged(bool force);
  // The loop's form of reloadIfChanged, called every tick: a changed file (or `force`) is parsed
  // on a helper thread while decisions go on with the running config (10,000 numbers take about
  // 0.8 s to load, longer than the ingress waits for a decision; docs/bench/router.md), and a
  // later tick swaps it in. Returns whether a new config became active on this call. A `force`
  // that arrives during a load starts another load after it.
  bool pollReload(bool force);

  Result<std::vector<uint8_t>> handle(const zmq::message_t& payload);
  const RoutingConfig& config() const { return *config_; }
  // The running config's identity, announced to ingresses (RoutingNotice) and stamped on every
  // decision: the same routing file gives the same epoch in every replica.
  // With documents in Redis it is the document's version, so a rollback is a new epoch too.
  uint64_t configEpoch() const { return epochOf(*config_); }
  static uint64_t epochOf(const RoutingConfig& c) {
    return c.document_version != 0 ? c.document_version : c.content_hash;
  }
  // The RoutingNotice announcing configEpoch(), ready to publish.
  kj::Array<capnp::word> notice() const;

 private:
  // What stat(2) reports for the routing file, following symlinks; all zero when it is missing.
  struct FileVersion {
    uint64_t device = 0;
    uint64_t inode = 0;
    int64_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileVersion&) const = default;
  };
  FileVersion fileVersion() const;
  // What a helper-thread load gives back: a config to apply (none when nothing changed) and what
  // went wrong talking to Redis, if anything (logged when it changes, never counted as a reload).
  struct LoadOutcome {
    std::optional<Result<RoutingConfig>> config;
    std::string source_error;
    uint64_t document_version = 0;  // the document version it parsed, if any
  };
  static LoadOutcome loadFile(const std::string& path, RoutingDocumentSource* mirror);
  static LoadOutcome loadDocument(RoutingDocumentSource& documents, uint64_t loaded,
                                  uint64_t rejected);
  bool finish(LoadOutcome outcome);
  // Makes `cfg` the running config (and its gauges).
  void install(RoutingConfig cfg);
  // Makes a loaded config active, or logs and counts why it was rejected.
  bool apply(Result<RoutingConfig> loaded);

  std::string routing_file_;
  uint32_t decision_reuse_ms_;
  RouterMetrics& metrics_;
  Logger& log_;
  const AgentAvailability& presence_;
  const ContactDirectory& contacts_;
  OutboundHistory& outbound_;
  RandomSource& random_;
  // Round-robin positions survive reloads: they are keyed by queue id, not by config object.
  QueueCursors queue_cursors_;
  OutboundAttempts outbound_attempts_;  // per-agent outbound pace (issue 16); survives reloads
  std::shared_ptr<const RoutingConfig> config_;
  FileVersion loaded_version_;
  // The helper-thread load in progress, if any. Only the loop thread touches it; the helper
  // thread only reads the file and builds a RoutingConfig it shares with nobody.
  std::future<LoadOutcome> loading_;
  RoutingDocumentSource* documents_ = nullptr;
  bool from_documents_ = false;
  uint64_t rejected_version_ = 0;  // a document version that failed to load: not retried
  std::string last_source_error_;
  bool reload_again_ = false;  // forced while a load was in progress
};

}  // namespace callmesh::router
