#include "shared/config/cluster_config.h"

#include <sstream>

#include "shared/config/agent_auth_settings.h"
#include "shared/config/api_limit_settings.h"
#include "shared/config/gateway_settings.h"
#include "shared/config/media_settings.h"
#include "shared/config/notification_settings.h"
#include "shared/config/redis_settings.h"
#include "shared/config/tls_settings.h"
#include "shared/config/yaml_reader.h"
#include "shared/config/zmq_settings.h"
#include "shared/net/cidr.h"

namespace callmesh::config {

bool isTokenHash(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

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

ServiceEndpoints readEndpoints(YamlMap& m, const std::string& default_bind,
                               const std::string& default_admin) {
  ServiceEndpoints ep;
  ep.bind = m.string("bind", default_bind);
  readEndpointList(m, "endpoint", ep.bind, ep.endpoints);
  ep.admin = m.string("admin", default_admin);
  if (!looksLikeZmqEndpoint(ep.bind))
    m.error("bind", "must be a ZeroMQ endpoint like tcp://127.0.0.1:7001");
  std::string h;
  int p = 0;
  if (!splitHostPort(ep.admin, h, p)) m.error("admin", "must be host:port");
  return ep;
}

// "mon-fri", "sat", "mon,wed,fri" -> day indexes (0 = Monday).
bool parseDays(const std::string& text, std::vector<int>& out) {
  static const char* kNames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  auto index = [](const std::string& d) {
    for (int i = 0; i < 7; ++i) {
      if (d == kNames[i]) return i;
    }
    return -1;
  };
  std::stringstream parts(text);
  std::string part;
  while (std::getline(parts, part, ',')) {
    auto dash = part.find('-');
    int a = index(part.substr(0, dash));
    int b = dash == std::string::npos ? a : index(part.substr(dash + 1));
    if (a < 0 || b < 0) return false;
    for (int d = a;; d = (d + 1) % 7) {
      out.push_back(d);
      if (d == b) break;
    }
  }
  return !out.empty();
}

// "HH:MM" -> minutes after midnight; "24:00" allowed as the end of the day.
bool parseClock(const std::string& text, int& minutes) {
  if (text.size() != 5 || text[2] != ':') return false;
  for (size_t i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  int h = std::stoi(text.substr(0, 2));
  int m = std::stoi(text.substr(3, 2));
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return false;
  minutes = h * 60 + m;
  return true;
}

}  // namespace

// "10.0.0.0/8", "2001:db8::/32" or a bare address (shared/net/cidr.h: a typo such as
// "10.0.0.l/8" or a host name is an error, never a silently empty ACL that leaves only loopback
// trusted).
bool validCidr(const std::string& cidr) { return net::Cidr::parse(cidr).ok(); }

Result<ClusterConfig> parseClusterConfig(const std::string& yaml_text,
                                         const std::string& file_name) {
  auto parsed = parseYamlText(yaml_text, file_name);
  if (!parsed.ok()) return parsed.error();
  const YAML::Node& root = parsed.value();
  ConfigErrors errors(file_name);
  ClusterConfig cfg;
  cfg.source_file = file_name;
  YamlMap top(root, "", errors);

  {
    YamlMap m(top.child("redis"), "redis", errors);
    readRedisSettings(m, file_name, cfg.redis);
    m.finish();
  }
  cfg.redis_leases = cfg.redis;
  if (top.has("redis_leases")) {
    YamlMap m(top.child("redis_leases"), "redis_leases", errors);
    // A server or a Sentinel-managed primary of its own, read like `redis:` (AUTH with the
    // same per-service users: redis.auth_files).
    RedisSettings l;
    readRedisSettings(m, file_name, l);
    cfg.redis_leases = l;
    m.finish();
  }
  {
    YamlMap m(top.child("zmq"), "zmq", errors);
    readZmqSettings(m, file_name, cfg.zmq);
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
    in.identity_trusted_sources = m.stringList("identity_trusted_sources");
    for (const auto& c : in.identity_trusted_sources) {
      if (!validCidr(c))
        m.error("identity_trusted_sources", "'" + c + "' is not a CIDR like 10.0.0.0/8");
    }
    std::string untrusted = m.string("untrusted_action", "drop");
    if (untrusted != "drop" && untrusted != "reject")
      m.error("untrusted_action", "must be drop or reject");
    in.reject_untrusted = untrusted == "reject";
    in.rate_limit_rps =
        static_cast<int>(m.integer("rate_limit_rps", in.rate_limit_rps, 1, 1000000));
    in.rate_limit_burst =
        static_cast<int>(m.integer("rate_limit_burst", in.rate_limit_burst, 1, 10000000));
    in.ban_s = static_cast<int>(m.integer("ban_s", in.ban_s, 0, 86400));
    in.new_call_rps = static_cast<int>(m.integer("new_call_rps", in.new_call_rps, 1, 1000000));
    in.new_call_burst =
        static_cast<int>(m.integer("new_call_burst", in.new_call_burst, 1, 10000000));
    in.request_timeout_ms =
        static_cast<int>(m.integer("request_timeout_ms", in.request_timeout_ms, 10, 10000));
    in.request_attempts =
        static_cast<int>(m.integer("request_attempts", in.request_attempts, 1, 10));
    in.max_call_duration_s =
        static_cast<int>(m.integer("max_call_duration_s", in.max_call_duration_s, 1, 86400));
    in.drain_timeout_s =
        static_cast<int>(m.integer("drain_timeout_s", in.drain_timeout_s, 0, 3600));
    in.lease_renew_ms =
        static_cast<int>(m.integer("lease_renew_ms", in.lease_renew_ms, 100, 600000));
    in.event_flush_ms = static_cast<int>(m.integer("event_flush_ms", in.event_flush_ms, 10, 1000));
    in.event_flush_events =
        static_cast<int>(m.integer("event_flush_events", in.event_flush_events, 16, 4096));
    in.heap_steady_decay_ms =
        static_cast<int>(m.integer("heap_steady_decay_ms", in.heap_steady_decay_ms, 0, 600000));
    in.heap_steady_after_s =
        static_cast<int>(m.integer("heap_steady_after_s", in.heap_steady_after_s, 1, 3600));
    in.acquire_gather_ms =
        static_cast<int>(m.integer("acquire_gather_ms", in.acquire_gather_ms, 0, 50));
    in.cap_wait_ms = static_cast<int>(m.integer("cap_wait_ms", in.cap_wait_ms, 0, 2000));
    in.max_call_id_bytes =
        static_cast<int>(m.integer("max_call_id_bytes", in.max_call_id_bytes, 32, 1024));
    in.max_uri_bytes = static_cast<int>(m.integer("max_uri_bytes", in.max_uri_bytes, 128, 8192));
    in.max_header_bytes =
        static_cast<int>(m.integer("max_header_bytes", in.max_header_bytes, 256, 65536));
    in.max_header_section_bytes = static_cast<int>(
        m.integer("max_header_section_bytes", in.max_header_section_bytes, 1024, 65536));
    in.max_tracked_sources =
        static_cast<int>(m.integer("max_tracked_sources", in.max_tracked_sources, 16, 10000000));
    in.max_event_backlog =
        static_cast<int>(m.integer("max_event_backlog", in.max_event_backlog, 64, 10000000));
    in.control_bind = m.string("control_bind", "");
    if (!in.control_bind.empty() && !looksLikeZmqEndpoint(in.control_bind))
      m.error("control_bind", "must be a ZeroMQ endpoint like tcp://0.0.0.0:7006");
    readEndpointList(m, "control_endpoint", in.control_bind, in.control_endpoints);
    if (in.control_endpoints == std::vector<std::string>{""}) in.control_endpoints.clear();
    if (in.control_endpoints.size() > 64)
      m.error("control_endpoint", "at most 64 ingress endpoints (each is a socket of the API)");
    in.log_level = m.string("log_level", in.log_level);
    readAgentAuth(m, file_name, in.agent_auth);
    readGatewaySets(m, in.gateways);
    readTlsSettings(m, file_name, in.tls);
    readConnectionBounds(m, in.connections);
    TrunkSettings trunk_defaults;
    trunk_defaults.rate_limit_rps = in.rate_limit_rps;
    trunk_defaults.rate_limit_burst = in.rate_limit_burst;
    trunk_defaults.new_call_rps = in.new_call_rps;
    trunk_defaults.new_call_burst = in.new_call_burst;
    readTrunks(m, trunk_defaults, in.trunks);
    m.finish();
  }
  {
    YamlMap m(top.child("router"), "router", errors);
    cfg.router.net = readEndpoints(m, "tcp://127.0.0.1:7001", "127.0.0.1:9461");
    auto& r = cfg.router;
    // Which copy of the routing table wins (docs/provisioning.md): `file` (GitOps, the default:
    // the file is the source of truth, mirrored into Redis read-only) or `redis` (the
    // provisioning API's versioned documents; the file, if any, only seeds an empty Redis).
    r.routing_source = m.string("routing_source", r.routing_source);
    if (r.routing_source != "file" && r.routing_source != "redis")
      m.error("routing_source", "must be file or redis");
    auto file = r.routing_source == "redis"
                    ? std::optional<std::string>(m.string("routing_file", ""))
                    : m.requiredString("routing_file");
    if (file && !file->empty()) cfg.router.routing_file = resolveRelative(file_name, *file);
    cfg.router.log_level = m.string("log_level", "info");
    r.notices_bind = m.string("notices_bind", r.notices_bind);
    // An endpoint that only copied a bad bind is the bind's mistake, reported once.
    readEndpointList(m, "notices_endpoint", r.notices_bind, r.notices_endpoints);
    if (!looksLikeZmqEndpoint(r.notices_bind))
      m.error("notices_bind", "must be a ZeroMQ endpoint like tcp://127.0.0.1:7005");
    r.decision_reuse_ms =
        static_cast<int>(m.integer("decision_reuse_ms", r.decision_reuse_ms, 0, 600000));
    m.finish();
  }
  {
    YamlMap m(top.child("concurrency_limiter"), "concurrency_limiter", errors);
    auto& l = cfg.limiter;
    l.net = readEndpoints(m, "tcp://127.0.0.1:7002", "127.0.0.1:9462");
    l.default_cap = static_cast<int>(m.integer("default_cap", l.default_cap, 1, 100000));
    l.lease_ms = m.integer("lease_ms", l.lease_ms, 1000, 3600000);
    l.failover_hold_ms = m.integer("failover_hold_ms", -1, -1, 3600000);
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
    YAML::Node accounts = m.child("accounts");
    if (accounts.IsDefined() && !accounts.IsNull()) {
      if (!accounts.IsMap()) {
        errors.add(accounts, "concurrency_limiter.accounts",
                   "must map account ids to {cap, numbers}, e.g. acme: {cap: 200, numbers: "
                   "[\"+15550100\"]}");
      } else {
        std::map<std::string, std::string> owner;  // number -> account, to reject a number in two
        for (auto it = accounts.begin(); it != accounts.end(); ++it) {
          std::string id = it->first.Scalar();
          YamlMap a(it->second, "concurrency_limiter.accounts." + id, errors);
          LimiterSettings::AccountCap acc;
          acc.cap = static_cast<int>(a.requiredInt("cap", 0, 1000000).value_or(0));
          acc.numbers = a.stringList("numbers");
          for (const auto& n : acc.numbers) {
            if (n.size() < 2 || n[0] != '+') {
              a.error("numbers", "'" + n + "' must be E.164 like +15550100");
            } else if (owner.count(n)) {
              a.error("numbers", n + " already belongs to account " + owner[n]);
            } else {
              owner[n] = id;
            }
          }
          a.finish();
          l.accounts[id] = std::move(acc);
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
    cfg.presence.reconcile_interval_ms = static_cast<int>(
        m.integer("reconcile_interval_ms", cfg.presence.reconcile_interval_ms, 1000, 3600000));
    YAML::Node agents = m.child("agents");
    if (agents.IsDefined() && !agents.IsNull()) {
      if (!agents.IsMap()) {
        errors.add(agents, "agent_presence.agents", "must map agent ids to their hours");
      } else {
        for (auto it = agents.begin(); it != agents.end(); ++it) {
          std::string id = it->first.Scalar();
          YamlMap a(it->second, "agent_presence.agents." + id, errors);
          AgentHours hours;
          hours.utc_offset_minutes = static_cast<int>(
              a.integer("utc_offset_minutes", 0, int64_t{-14} * 60, int64_t{14} * 60));
          // An IANA zone follows daylight saving; the fixed offset above does not (kept for
          // old files, docs/provisioning.md). Both at once is a contradiction.
          if (a.has("time_zone")) {
            if (a.has("utc_offset_minutes")) {
              a.error("time_zone", "set time_zone or utc_offset_minutes, not both");
            }
            auto zone = tz::loadTimeZone(a.string("time_zone", ""));
            if (zone.ok()) {
              hours.zone = zone.value();
            } else {
              a.error("time_zone", zone.error().message);
            }
          }
          YAML::Node list = a.child("working_hours");
          if (list.IsDefined() && !list.IsNull()) {
            if (!list.IsSequence()) {
              a.error("working_hours", "must be a list of {days, from, to}");
            } else {
              for (size_t i = 0; i < list.size(); ++i) {
                std::string path = a.keyPath("working_hours") + "[" + std::to_string(i) + "]";
                YamlMap r(list[i], path, errors);
                WorkingHoursRange range;
                std::string days = r.string("days", "mon-sun");
                std::string from = r.string("from", "00:00");
                std::string to = r.string("to", "24:00");
                if (!parseDays(days, range.days)) {
                  r.error("days", "must be a day or range like mon-fri (mon..sun)");
                }
                if (!parseClock(from, range.from_minute)) r.error("from", "must be HH:MM");
                if (!parseClock(to, range.to_minute)) r.error("to", "must be HH:MM (24:00 ok)");
                if (range.from_minute >= range.to_minute) r.error("to", "must be after from");
                r.finish();
                hours.working_hours.push_back(range);
              }
            }
          }
          a.finish();
          cfg.presence.agents[id] = hours;
        }
      }
    }
    m.finish();
  }
  {
    YamlMap m(top.child("notification"), "notification", errors);
    auto& n = cfg.notification;
    n.net = readEndpoints(m, "tcp://127.0.0.1:7004", "127.0.0.1:9464");
    readNotificationSettings(m, file_name, errors, n);
    m.finish();
  }
  if (top.has("media")) {
    YamlMap m(top.child("media"), "media", errors);
    readMediaSettings(m, file_name, cfg.media);
    m.finish();
  }
  top.finish();
  // A lease must be renewed at least twice before it runs out, so one lost or late renewal
  // never frees the slot of a live call (a third leaves a whole renewal period of slack).
  if (int64_t{cfg.ingress.lease_renew_ms} * 3 > cfg.limiter.lease_ms) {
    // The line of section.key, or -1: yaml-cpp throws on a lookup through an absent key, and a
    // default YAML::Node counts as defined, so lines are compared instead of nodes.
    auto lineAt = [&root](const char* section, const char* key) {
      const YAML::Node& const_root = root;
      if (!const_root.IsMap()) return -1;
      const YAML::Node part = const_root[section];
      if (!part.IsDefined() || !part.IsMap()) return -1;
      return lineOf(part[key]);
    };
    int line = lineAt("ingress", "lease_renew_ms");
    if (line < 0) line = lineAt("concurrency_limiter", "lease_ms");
    errors.addAtLine(line, "ingress.lease_renew_ms",
                     "must be at most a third of concurrency_limiter.lease_ms (" +
                         std::to_string(cfg.limiter.lease_ms) +
                         "): " + std::to_string(cfg.ingress.lease_renew_ms) +
                         " would let a live call's lease lapse after one lost renewal");
  }
  // Every live call renews once per lease_renew_ms: holding admissions half as long again lets
  // every renewal reach the new primary after a failover.
  if (cfg.limiter.failover_hold_ms < 0)
    cfg.limiter.failover_hold_ms = int64_t{cfg.ingress.lease_renew_ms} * 3 / 2;
  if (!errors.empty()) return errors.toError();
  return cfg;
}

Result<ClusterConfig> loadClusterConfig(const std::string& path) {
  auto text = readTextFile(path, "cluster config");
  if (!text.ok()) return text.error();
  return parseClusterConfig(text.value(), path);
}

}  // namespace callmesh::config
