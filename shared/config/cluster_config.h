#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "shared/base/result.h"

namespace callmesh::config {

// Where a ZeroMQ service binds, where its clients connect, and where its admin HTTP listens.
// Separate bind/endpoint lets the same file shape serve local processes and Kubernetes pods.
struct ServiceEndpoints {
  std::string bind;      // e.g. tcp://0.0.0.0:7001
  std::string endpoint;  // e.g. tcp://callmesh-router:7001
  std::string admin;     // host:port of /metrics, /healthz, /readyz
};

struct RedisSettings {
  std::string host = "127.0.0.1";
  int port = 6379;
  int timeout_ms = 250;
};

struct IngressSettings {
  std::string sip_host = "127.0.0.1";
  int sip_port = 5060;
  std::string record_route_host;  // empty: sip_host (or CALLMESH_POD_IP when sip_host is 0.0.0.0)
  std::string admin = "127.0.0.1:9460";
  std::vector<std::string> trusted_sources;  // CIDRs; empty = loopback only
  int request_timeout_ms = 300;              // per attempt, to router and limiter
  int request_attempts = 3;                  // attempts before the call fails with 503
  int max_call_duration_s = 14400;  // hard bound on a dialog; also bounds a lease after a lost BYE
  int lease_renew_ms = 10000;       // how often live calls renew their slot lease
  std::string log_level = "info";
};

struct LimiterSettings {
  ServiceEndpoints net;
  int default_cap = 50;
  int64_t lease_ms = 30000;
  std::map<std::string, int> caps;  // per-number override, E.164
  std::string log_level = "info";
};

struct PlainServiceSettings {
  ServiceEndpoints net;
  std::string log_level = "info";
};

struct RouterSettings {
  ServiceEndpoints net;
  std::string routing_file;  // absolute after loading
  std::string log_level = "info";
};

// The whole cluster.yaml: one file every service reads, each using its own section.
struct ClusterConfig {
  std::string source_file;
  RedisSettings redis;
  IngressSettings ingress;
  RouterSettings router;
  LimiterSettings limiter;
  PlainServiceSettings presence;
  PlainServiceSettings notification;
};

// Parses and validates cluster.yaml; every problem is reported as `file:line: key: what is wrong`.
Result<ClusterConfig> loadClusterConfig(const std::string& path);
Result<ClusterConfig> parseClusterConfig(const std::string& yaml_text,
                                         const std::string& file_name);

// "host:port" -> parts; false when malformed.
bool splitHostPort(const std::string& text, std::string& host, int& port);

}  // namespace callmesh::config
