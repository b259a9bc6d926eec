#include "shared/config/cluster_config.h"

#include <fstream>
#include <sstream>

#include "shared/config/yaml_reader.h"

namespace callmesh::config {

bool splitHostPort(const std::string& text, std::string& host, int& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= text.size()) return false;
  std::string port_text = text.substr(colon + 1);
  for (char c : port_text) {
    if (c < '0' || c > '9') return false;
  }
  if (port_text.size() > 5) return false;
  port = std::stoi(port_text);
  if (port <= 0 || port > 65535) return false;
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return true;
}

namespace {

bool looksLikeZmqEndpoint(const std::string& e) {
  return e.rfind("tcp://", 0) == 0 || e.rfind("ipc://", 0) == 0 || e.rfind("inproc://", 0) == 0;
}

ServiceEndpoints readEndpoints(YamlMap& m, const std::string& default_bind,
                               const std::string& default_admin) {
  ServiceEndpoints ep;
  ep.bind = m.string("bind", default_bind);
  ep.endpoint = m.string("endpoint", ep.bind);
  ep.admin = m.string("admin", default_admin);
  if (!looksLikeZmqEndpoint(ep.bind))
    m.error("bind", "must be a ZeroMQ endpoint like tcp://127.0.0.1:7001");
  if (!looksLikeZmqEndpoint(ep.endpoint)) {
    m.error("endpoint", "must be a ZeroMQ endpoint like tcp://127.0.0.1:7001");
  }
  std::string h;
  int p = 0;
  if (!splitHostPort(ep.admin, h, p)) m.error("admin", "must be host:port");
  return ep;
}

bool validCidr(const std::string& cidr) {
  auto slash = cidr.find('/');
  std::string addr = slash == std::string::npos ? cidr : cidr.substr(0, slash);
  if (addr.empty()) return false;
  if (slash != std::string::npos) {
    std::string bits = cidr.substr(slash + 1);
    if (bits.empty() || bits.size() > 3) return false;
    for (char c : bits) {
      if (c < '0' || c > '9') return false;
    }
    int b = std::stoi(bits);
    bool v6 = addr.find(':') != std::string::npos;
    if (b > (v6 ? 128 : 32)) return false;
  }
  return true;
}

}  // namespace

Result<ClusterConfig> parseClusterConfig(const std::string& yaml_text,
                                         const std::string& file_name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    std::string where = file_name;
    if (e.mark.line >= 0) where += ":" + std::to_string(e.mark.line + 1);
    return Error{ErrorKind::InvalidInput, "YAML syntax: " + e.msg, where};
  }
  ConfigErrors errors(file_name);
  ClusterConfig cfg;
  cfg.source_file = file_name;
  YamlMap top(root, "", errors);

  {
    YamlMap m(top.child("redis"), "redis", errors);
    cfg.redis.host = m.string("host", cfg.redis.host);
    cfg.redis.port = static_cast<int>(m.integer("port", cfg.redis.port, 1, 65535));
    cfg.redis.timeout_ms =
        static_cast<int>(m.integer("timeout_ms", cfg.redis.timeout_ms, 1, 60000));
    m.finish();
  }
  {
    YamlMap m(top.child("ingress"), "ingress", errors);
    auto& in = cfg.ingress;
    in.sip_host = m.string("sip_host", in.sip_host);
    in.sip_port = static_cast<int>(m.integer("sip_port", in.sip_port, 1, 65535));
    in.record_route_host = m.string("record_route_host", "");
    in.admin = m.string("admin", in.admin);
    std::string h;
    int p = 0;
    if (!splitHostPort(in.admin, h, p)) m.error("admin", "must be host:port");
    in.trusted_sources = m.stringList("trusted_sources");
    for (const auto& c : in.trusted_sources) {
      if (!validCidr(c)) m.error("trusted_sources", "'" + c + "' is not a CIDR like 10.0.0.0/8");
    }
    in.request_timeout_ms =
        static_cast<int>(m.integer("request_timeout_ms", in.request_timeout_ms, 10, 10000));
    in.request_attempts =
        static_cast<int>(m.integer("request_attempts", in.request_attempts, 1, 10));
    in.max_call_duration_s =
        static_cast<int>(m.integer("max_call_duration_s", in.max_call_duration_s, 1, 86400));
    in.lease_renew_ms =
        static_cast<int>(m.integer("lease_renew_ms", in.lease_renew_ms, 100, 600000));
    in.log_level = m.string("log_level", in.log_level);
    m.finish();
  }
  {
    YamlMap m(top.child("router"), "router", errors);
    cfg.router.net = readEndpoints(m, "tcp://127.0.0.1:7001", "127.0.0.1:9461");
    auto file = m.requiredString("routing_file");
    if (file) cfg.router.routing_file = resolveRelative(file_name, *file);
    cfg.router.log_level = m.string("log_level", "info");
    m.finish();
  }
  {
    YamlMap m(top.child("concurrency_limiter"), "concurrency_limiter", errors);
    auto& l = cfg.limiter;
    l.net = readEndpoints(m, "tcp://127.0.0.1:7002", "127.0.0.1:9462");
    l.default_cap = static_cast<int>(m.integer("default_cap", l.default_cap, 1, 100000));
    l.lease_ms = m.integer("lease_ms", l.lease_ms, 1000, 3600000);
    YAML::Node caps = m.child("caps");
    if (caps.IsDefined() && !caps.IsNull()) {
      if (!caps.IsMap()) {
        errors.add(caps, "concurrency_limiter.caps",
                   "must map numbers to caps, e.g. \"+15550100\": 60");
      } else {
        for (auto it = caps.begin(); it != caps.end(); ++it) {
          std::string number = it->first.Scalar();
          std::string key = "concurrency_limiter.caps." + number;
          if (number.size() < 2 || number[0] != '+') {
            errors.add(it->first, key, "number must be E.164 like +15550100");
            continue;
          }
          try {
            int cap = it->second.as<int>();
            if (cap < 0 || cap > 100000) {
              errors.add(it->second, key, "cap must be between 0 and 100000");
              continue;
            }
            l.caps[number] = cap;
          } catch (const YAML::Exception&) {
            errors.add(it->second, key, "cap must be a whole number");
          }
        }
      }
    }
    l.log_level = m.string("log_level", "info");
    m.finish();
  }
  {
    YamlMap m(top.child("agent_presence"), "agent_presence", errors);
    cfg.presence.net = readEndpoints(m, "tcp://127.0.0.1:7003", "127.0.0.1:9463");
    cfg.presence.log_level = m.string("log_level", "info");
    m.finish();
  }
  {
    YamlMap m(top.child("notification"), "notification", errors);
    cfg.notification.net = readEndpoints(m, "tcp://127.0.0.1:7004", "127.0.0.1:9464");
    cfg.notification.log_level = m.string("log_level", "info");
    m.finish();
  }
  top.finish();
  if (!errors.empty()) return errors.toError();
  return cfg;
}

Result<ClusterConfig> loadClusterConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{ErrorKind::NotFound, "cannot open cluster config", path};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parseClusterConfig(buffer.str(), path);
}

}  // namespace callmesh::config
