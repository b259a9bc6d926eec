#include "shared/config/gateway_settings.h"

#include <set>

#include "shared/config/cluster_config.h"
#include "shared/config/yaml_reader.h"

namespace callmesh::config {

bool validGatewaySetName(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  bool letter = false;
  for (char c : name) {
    bool digit = c >= '0' && c <= '9';
    if (!digit && !(c >= 'a' && c <= 'z') && c != '-') return false;
    letter = letter || !digit;
  }
  return letter;  // all digits would read as an address part
}

namespace {

bool validHost(const std::string& host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// "sip:host:port;transport=tcp", "host:port" or "host" -> the entry's address; false when not.
bool parseGatewayUri(std::string text, GatewayEntry& gw, std::string& why) {
  if (text.rfind("sip:", 0) == 0)
    text = text.substr(4);
  else if (text.find("://") != std::string::npos || text.rfind("sips:", 0) == 0) {
    why = "must be sip:host[:port][;transport=udp|tcp]";
    return false;
  }
  std::string params;
  if (auto semi = text.find(';'); semi != std::string::npos) {
    params = text.substr(semi + 1);
    text = text.substr(0, semi);
  }
  if (text.find('@') != std::string::npos) {
    why = "names a gateway, without a user part";
    return false;
  }
  if (!params.empty()) {
    if (params == "transport=udp" || params == "transport=tcp") {
      gw.transport = params.substr(10);
    } else {
      why = "only ;transport=udp or ;transport=tcp may follow the address";
      return false;
    }
  }
  int port = 5060;
  std::string host = text;
  bool bracketed = !text.empty() && text.front() == '[';
  if ((bracketed && text.find("]:") != std::string::npos) ||
      (!bracketed && text.find(':') != std::string::npos)) {
    if (!splitHostPort(text, host, port)) {
      why = "has a bad port";
      return false;
    }
  } else if (bracketed && text.size() > 2 && text.back() == ']') {
    host = text.substr(1, text.size() - 2);
  }
  if (!validHost(host)) {
    why = "has no valid host";
    return false;
  }
  gw.host = host;
  gw.port = port;
  return true;
}

std::string defaultName(const GatewayEntry& gw) {
  std::string host = gw.host.find(':') != std::string::npos ? "[" + gw.host + "]" : gw.host;
  return host + ":" + std::to_string(gw.port);
}

}  // namespace

void readGatewaySets(YamlMap& m, GatewaySetSettings& g) {
  g.probe_interval_ms =
      static_cast<int>(m.integer("gateway_probe_interval_ms", g.probe_interval_ms, 500, 3600000));
  g.probe_timeout_ms =
      static_cast<int>(m.integer("gateway_probe_timeout_ms", g.probe_timeout_ms, 50, 60000));
  if (!m.has("gateway_probe_timeout_ms") && g.probe_timeout_ms > g.probe_interval_ms)
    g.probe_timeout_ms = g.probe_interval_ms;  // the default never outlasts a shorter interval
  if (g.probe_timeout_ms > g.probe_interval_ms)
    m.error("gateway_probe_timeout_ms", "must not exceed gateway_probe_interval_ms");
  g.failures_before_down =
      static_cast<int>(m.integer("gateway_failures_before_down", g.failures_before_down, 1, 100));
  g.successes_before_up =
      static_cast<int>(m.integer("gateway_successes_before_up", g.successes_before_up, 1, 100));
  g.answer_timeout_ms =
      static_cast<int>(m.integer("gateway_answer_timeout_ms", g.answer_timeout_ms, 100, 32000));

  std::set<std::string> names;  // metric labels must be unique across sets
  size_t total = 0;
  auto add = [&](const std::string& set, GatewayEntry gw, const std::string& key) {
    if (gw.name.empty()) gw.name = defaultName(gw);
    if (!names.insert(set + "/" + gw.name).second) {
      m.error(key, "gateway '" + gw.name + "' is named twice in set " + set);
      return;
    }
    if (++total > kMaxGateways) {
      m.error(key, "more than " + std::to_string(kMaxGateways) + " gateways in all");
      return;
    }
    g.sets[set].push_back(std::move(gw));
  };

  if (m.has("pstn_gateway")) {
    // The single gateway of old: a set of one, named "pstn".
    std::string text = m.string("pstn_gateway", "");
    GatewayEntry gw;
    std::string why;
    if (!parseGatewayUri(text, gw, why))
      m.error("pstn_gateway", "'" + text + "' " + why);
    else
      add("pstn", gw, "pstn_gateway");
  }
  YAML::Node sets = m.child("gateway_sets");
  if (!sets) return;
  if (!sets.IsMap()) {
    m.error("gateway_sets", "must map set names to lists of gateways");
    return;
  }
  if (sets.size() > kMaxGatewaySets)
    m.error("gateway_sets", "at most " + std::to_string(kMaxGatewaySets) + " sets");
  for (const auto& kv : sets) {
    std::string set = kv.first.Scalar();
    std::string key = "gateway_sets." + set;
    if (!validGatewaySetName(set)) {
      m.errors().add(kv.first, m.keyPath(key),
                     "set names are 1-32 of a-z 0-9 - (used as the host of ring targets)");
      continue;
    }
    if (g.sets.count(set)) {
      m.errors().add(kv.first, m.keyPath(key), "set " + set + " is defined twice");
      continue;
    }
    if (!kv.second.IsSequence() || kv.second.size() == 0 || kv.second.size() > kMaxGatewaysPerSet) {
      m.errors().add(kv.second, m.keyPath(key),
                     "must list 1 to " + std::to_string(kMaxGatewaysPerSet) + " gateways");
      continue;
    }
    for (size_t i = 0; i < kv.second.size(); ++i) {
      std::string item_key = key + "[" + std::to_string(i) + "]";
      YamlMap item(kv.second[i], m.keyPath(item_key), m.errors());
      if (!item.valid()) continue;
      GatewayEntry gw;
      auto uri = item.requiredString("uri");
      std::string why;
      if (uri && !parseGatewayUri(*uri, gw, why)) item.error("uri", "'" + *uri + "' " + why);
      gw.name = item.string("name", "");
      if (!gw.name.empty() &&
          (gw.name.size() > 64 || gw.name.find_first_of("\"\\\r\n") != std::string::npos)) {
        item.error("name", "1-64 characters, no quotes, backslashes or line breaks");
      }
      gw.priority = static_cast<int>(item.integer("priority", 0, 0, 65535));
      gw.weight = static_cast<int>(item.integer("weight", 1, 0, 65535));
      item.finish();
      if (uri && !gw.host.empty()) add(set, gw, item_key);
    }
  }
}

}  // namespace callmesh::config
