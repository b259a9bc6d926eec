#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "services/ingress/ingress_metrics.h"
#include "shared/config/cluster_config.h"
#include "shared/log/logger.h"
#include "shared/media/ng_client.h"

namespace callmesh::ingress {

// The ingress's link to rtpengine (issue 19): one NgClient, the fail mode, and what every command
// costs in metrics (duration, outcome) and logs. Commands block the SIP thread for at most
// media.ng_timeout_ms (NgClient says why that is the chosen shape); a dead rtpengine costs one
// timeout per media.ng_retry_after_ms, then commands fail at once until a probe succeeds.
class MediaPlane {
 public:
  MediaPlane(const config::MediaSettings& settings, IngressMetrics& metrics, Logger& log);
  // Opens the ng socket when media.rtpengine is set; errors name the address.
  Status start(uint64_t cookie_seed);
  bool enabled() const { return client_ != nullptr; }
  bool failClosed() const { return settings_.fail_closed; }
  const config::MediaSettings& settings() const { return settings_; }

  // One command for `call_id`: the reply on success; on failure the error, logged (warn) and
  // counted by command and outcome.
  Result<media::BValue> command(std::string_view name, media::BDict args,
                                const std::string& call_id);
  // The label of callmesh_ingress_media_failures_total for a failed command.
  static const char* failureReason(const Error& error);
  // Counts a call rtpengine could not serve (reason from the fixed set) and logs it.
  void callNotAnchored(const std::string& call_id, const char* reason, const std::string& detail);

 private:
  const config::MediaSettings& settings_;
  IngressMetrics& metrics_;
  Logger& log_;
  std::unique_ptr<media::NgClient> client_;
};

}  // namespace callmesh::ingress
