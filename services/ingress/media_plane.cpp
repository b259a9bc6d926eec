#include "services/ingress/media_plane.h"

#include <chrono>

namespace callmesh::ingress {

MediaPlane::MediaPlane(const config::MediaSettings& settings, IngressMetrics& metrics, Logger& log)
    : settings_(settings), metrics_(metrics), log_(log) {}

Status MediaPlane::start(uint64_t cookie_seed) {
  if (settings_.rtpengine.empty()) return {};
  media::NgClientSettings s;
  s.address = settings_.rtpengine;
  s.timeout_ms = settings_.ng_timeout_ms;
  s.attempts = settings_.ng_attempts;
  s.retry_after_ms = settings_.ng_retry_after_ms;
  auto client = media::NgClient::open(s, cookie_seed);
  if (!client.ok()) return client.error();
  client_ = std::make_unique<media::NgClient>(std::move(client.value()));
  log_.info("media_plane", {{"rtpengine", settings_.rtpengine},
                            {"fail_mode", settings_.fail_closed ? "closed" : "open"},
                            {"ng_timeout_ms", settings_.ng_timeout_ms}});
  return {};
}

Result<media::BValue> MediaPlane::command(std::string_view name, media::BDict args,
                                          const std::string& call_id) {
  if (!client_) return Error{ErrorKind::Internal, "media plane not configured", "media"};
  auto start = std::chrono::steady_clock::now();
  auto reply = client_->request(name, std::move(args));
  metrics_.media_ng_seconds.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  // The command names are our own fixed set (media_commands.h), so the label stays bounded.
  metrics_.mediaCommands(std::string(name), reply.ok()).Increment();
  if (!reply.ok()) {
    log_.warn("media_command_failed", {{"call_id", call_id},
                                       {"command", std::string(name)},
                                       {"error", reply.error().describe()}});
  }
  return reply;
}

const char* MediaPlane::failureReason(const Error& error) {
  switch (error.kind) {
    case ErrorKind::Timeout:
      return "timeout";
    case ErrorKind::Disconnected:
      return "unavailable";
    default:
      return "rejected";
  }
}

void MediaPlane::callNotAnchored(const std::string& call_id, const char* reason,
                                 const std::string& detail) {
  metrics_.mediaFailures(reason).Increment();
  log_.warn("media_not_anchored", {{"call_id", call_id},
                                   {"reason", reason},
                                   {"fail_mode", settings_.fail_closed ? "closed" : "open"},
                                   {"detail", detail}});
}

}  // namespace callmesh::ingress
