#include "shared/config/api_limit_settings.h"

namespace callmesh::config {

namespace {

void bounded(YamlMap& m, const char* key, int& value, int min, int max) {
  value = static_cast<int>(m.integer(key, value, min, max));
}

}  // namespace

void readApiLimits(YamlMap& m, ApiLimitSettings& l) {
  bounded(m, "api_workers", l.workers, 1, 256);
  bounded(m, "api_queue", l.queue, 1, 100000);
  bounded(m, "api_connections_max", l.connections_max, 1, 1000000);
  bounded(m, "api_streams_max", l.streams_max, 1, 1000000);
  bounded(m, "api_streams_per_agent", l.streams_per_agent, 1, 10000);
  bounded(m, "api_header_limit_bytes", l.header_limit_bytes, 1024, 1 << 20);
  bounded(m, "api_body_limit_bytes", l.body_limit_bytes, 1024, 16 << 20);
  bounded(m, "api_read_timeout_ms", l.read_timeout_ms, 100, 600000);
  bounded(m, "api_idle_timeout_ms", l.idle_timeout_ms, 100, 3600000);
  bounded(m, "api_rate_per_s", l.rate_per_s, 1, 100000);
  bounded(m, "api_rate_burst", l.rate_burst, 1, 1000000);
  bounded(m, "api_auth_failures_burst", l.auth_failures_burst, 1, 100000);
  bounded(m, "api_auth_failures_per_min", l.auth_failures_per_min, 1, 1000000);
  bounded(m, "api_stream_queue_bytes", l.stream_queue_bytes, 4096, 64 << 20);
  bounded(m, "api_stream_keepalive_ms", l.stream_keepalive_ms, 100, 600000);
  bounded(m, "api_stream_threads", l.stream_threads, 1, 64);
  if (l.streams_per_agent > l.streams_max) {
    m.error("api_streams_per_agent", "must not exceed api_streams_max");
  }
  if (l.streams_max > l.connections_max) {
    m.error("api_streams_max", "must not exceed api_connections_max (a stream is a connection)");
  }
}

}  // namespace callmesh::config
