#include "shared/config/tls_settings.h"

#include <set>

#include "shared/config/cluster_config.h"
#include "shared/config/yaml_reader.h"

namespace callmesh::config {

void readTlsSettings(YamlMap& m, const std::string& file_name, TlsSettings& tls) {
  tls.port = static_cast<int>(m.integer("tls_port", 0, 0, 65535));
  auto file = [&](const char* key) {
    std::string path = m.string(key, "");
    return path.empty() ? path : resolveRelative(file_name, path);
  };
  tls.cert_file = file("tls_cert_file");
  tls.key_file = file("tls_key_file");
  tls.ca_file = file("tls_ca_file");
  tls.client_cert = m.string("tls_client_cert", tls.client_cert);
  if (tls.client_cert != "none" && tls.client_cert != "optional" && tls.client_cert != "required")
    m.error("tls_client_cert", "must be none, optional or required");
  tls.verify_server = m.boolean("tls_verify_server", tls.verify_server);
  tls.reload_check_ms =
      static_cast<int>(m.integer("tls_reload_check_ms", tls.reload_check_ms, 100, 3600000));
  if (tls.port == 0) return;
  // A listener without its certificate would fail every handshake: refused at load instead.
  if (tls.cert_file.empty()) m.error("tls_cert_file", "is required when tls_port is set");
  if (tls.key_file.empty()) m.error("tls_key_file", "is required when tls_port is set");
  if (tls.ca_file.empty() && (tls.verify_server || tls.client_cert != "none"))
    m.error("tls_ca_file", "is required to verify peers (tls_verify_server or tls_client_cert)");
}

void readConnectionBounds(YamlMap& m, ConnectionBoundSettings& b) {
  b.max_connections = static_cast<int>(m.integer("max_connections", b.max_connections, 1, 1000000));
  b.max_connections_per_source = static_cast<int>(
      m.integer("max_connections_per_source", b.max_connections_per_source, 1, 1000000));
  b.first_message_timeout_ms = static_cast<int>(
      m.integer("first_message_timeout_ms", b.first_message_timeout_ms, 100, 600000));
  b.message_timeout_ms =
      static_cast<int>(m.integer("message_timeout_ms", b.message_timeout_ms, 100, 600000));
  b.idle_timeout_s = static_cast<int>(m.integer("connection_idle_s", b.idle_timeout_s, 1, 86400));
}

void readTrunks(YamlMap& m, const TrunkSettings& defaults, std::vector<TrunkSettings>& trunks) {
  YAML::Node list = m.child("trunks");
  if (!list) return;
  if (!list.IsSequence() || list.size() > kMaxTrunks) {
    m.error("trunks", "must list at most " + std::to_string(kMaxTrunks) + " trunks");
    return;
  }
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string key = "trunks[" + std::to_string(i) + "]";
    YamlMap item(list[i], m.keyPath(key), m.errors());
    if (!item.valid()) continue;
    TrunkSettings t = defaults;
    auto name = item.requiredString("name");
    if (name) t.name = *name;
    if (name && (t.name.empty() || t.name.size() > 64 ||
                 t.name.find_first_of("\"\\\r\n") != std::string::npos))
      item.error("name", "1-64 characters, no quotes, backslashes or line breaks");
    else if (name && !names.insert(t.name).second)
      item.error("name", "trunk '" + t.name + "' is named twice");
    t.sources = item.stringList("sources");
    for (const auto& c : t.sources) {
      if (!validCidr(c)) item.error("sources", "'" + c + "' is not a CIDR like 10.0.0.0/8");
    }
    t.tls_subjects = item.stringList("tls_subjects");
    for (const auto& s : t.tls_subjects) {
      if (s.empty() || s.size() > 253) item.error("tls_subjects", "1-253 characters each");
    }
    if (t.sources.empty() && t.tls_subjects.empty())
      item.error("sources", "a trunk needs sources or tls_subjects to be told apart");
    if (t.sources.size() > kMaxTrunkEntries || t.tls_subjects.size() > kMaxTrunkEntries)
      item.error("sources", "at most " + std::to_string(kMaxTrunkEntries) + " each");
    t.identity_trusted = item.boolean("identity_trusted", false);
    t.rate_limit_rps =
        static_cast<int>(item.integer("rate_limit_rps", t.rate_limit_rps, 1, 1000000));
    t.rate_limit_burst =
        static_cast<int>(item.integer("rate_limit_burst", t.rate_limit_burst, 1, 10000000));
    t.new_call_rps = static_cast<int>(item.integer("new_call_rps", t.new_call_rps, 1, 1000000));
    t.new_call_burst =
        static_cast<int>(item.integer("new_call_burst", t.new_call_burst, 1, 10000000));
    item.finish();
    trunks.push_back(std::move(t));
  }
}

}  // namespace callmesh::config
