#include "shared/config/zmq_settings.h"

namespace callmesh::config {

namespace {

// More would be a config mistake (or a hostile file): every entry is a connection per client.
constexpr size_t kMaxEndpointsPerService = 64;

}  // namespace

bool looksLikeZmqEndpoint(const std::string& e) {
  return e.rfind("tcp://", 0) == 0 || e.rfind("ipc://", 0) == 0 || e.rfind("inproc://", 0) == 0;
}

void readZmqSettings(YamlMap& m, const std::string& file_name, ZmqSettings& z) {
  std::string curve = m.string("curve", "on");
  if (curve != "on" && curve != "off") m.error("curve", "must be on or off");
  z.curve = curve != "off";
  // The files are read when a service starts (a missing key is its startup error, naming the
  // file and the tool that writes it), not here: --check runs where the Secret is not mounted.
  std::string dir = m.string("keys_dir", "zmq-keys");
  if (dir.empty()) m.error("keys_dir", "must name the folder of the CURVE keys");
  z.keys_dir = resolveRelative(file_name, dir);
  z.max_message_bytes = m.integer("max_message_bytes", z.max_message_bytes, 1024, 64 << 20);
  z.resolve_interval_ms =
      static_cast<int>(m.integer("resolve_interval_ms", z.resolve_interval_ms, 500, 3600000));
}

void readEndpointList(YamlMap& m, std::string_view key, const std::string& fallback,
                      std::vector<std::string>& out) {
  out.clear();
  YAML::Node node = m.child(key);
  if (!node.IsDefined() || node.IsNull()) {
    out.push_back(fallback);  // the bind's own check reports a bad one, once
    return;
  }
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
  } else if (node.IsSequence()) {
    for (const auto& item : node) {
      if (!item.IsScalar()) {
        m.error(key, "must be a ZeroMQ endpoint or a list of them");
        return;
      }
      out.push_back(item.Scalar());
    }
  } else {
    m.error(key, "must be a ZeroMQ endpoint or a list of them");
    return;
  }
  if (out.empty()) m.error(key, "must name at least one endpoint");
  if (out.size() > kMaxEndpointsPerService) {
    m.error(key, "lists " + std::to_string(out.size()) + " endpoints; at most " +
                     std::to_string(kMaxEndpointsPerService));
  }
  for (const auto& e : out) {
    if (!looksLikeZmqEndpoint(e)) {
      m.error(key, "'" + e + "' must be a ZeroMQ endpoint like tcp://127.0.0.1:7001");
    }
  }
}

}  // namespace callmesh::config
