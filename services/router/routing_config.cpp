#include "services/router/routing_config.h"

#include <fstream>
#include <sstream>

#include "services/router/phone_number.h"
#include "shared/config/yaml_reader.h"

namespace callmesh::router {

using config::ConfigErrors;
using config::YamlMap;

namespace {

std::string readNumber(YamlMap& m, const std::string& key) {
  auto text = m.requiredString(key);
  if (!text) return {};
  auto e164 = toE164(*text);
  if (!e164.ok()) {
    m.error(key, e164.error().message);
    return {};
  }
  return e164.value();
}

bool isSipUri(const std::string& uri) {
  return uri.rfind("sip:", 0) == 0 || uri.rfind("sips:", 0) == 0;
}

}  // namespace

Result<RoutingConfig> parseRoutingConfig(const std::string& yaml_text,
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
  RoutingConfig cfg;
  cfg.source_file = file_name;
  YamlMap top(root, "", errors);
  YAML::Node list = top.child("tracking_numbers");
  if (list.IsDefined() && !list.IsNull() && !list.IsSequence()) {
    errors.add(list, "tracking_numbers", "must be a list");
  } else if (list.IsSequence()) {
    for (size_t i = 0; i < list.size(); ++i) {
      std::string path = "tracking_numbers[" + std::to_string(i) + "]";
      YamlMap m(list[i], path, errors);
      TrackingNumber tn;
      tn.number = readNumber(m, "number");
      tn.ring_timeout_ms = static_cast<int>(m.integer("ring_timeout_s", 45, 1, 600) * 1000);
      YAML::Node rlist = m.child("receiving_numbers");
      if (!rlist.IsDefined() || !rlist.IsSequence() || rlist.size() == 0) {
        m.error("receiving_numbers", "must list at least one receiving number");
      } else {
        for (size_t j = 0; j < rlist.size(); ++j) {
          YamlMap r(rlist[j], path + ".receiving_numbers[" + std::to_string(j) + "]", errors);
          ReceivingNumber rn;
          rn.number = readNumber(r, "number");
          auto uri = r.requiredString("uri");
          if (uri && !isSipUri(*uri)) r.error("uri", "must be a sip: or sips: URI");
          if (uri) rn.uri = *uri;
          r.finish();
          tn.receiving_numbers.push_back(std::move(rn));
        }
      }
      m.finish();
      if (!tn.number.empty()) {
        if (cfg.tracking_numbers.count(tn.number)) {
          m.error("number", "tracking number " + tn.number + " is listed twice");
        } else {
          cfg.tracking_numbers.emplace(tn.number, std::move(tn));
        }
      }
    }
  }
  top.finish();
  if (!errors.empty()) return errors.toError();
  return cfg;
}

Result<RoutingConfig> loadRoutingConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{ErrorKind::NotFound, "cannot open routing config", path};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parseRoutingConfig(buffer.str(), path);
}

}  // namespace callmesh::router
