#pragma once

#include <string>

#include "shared/config/cluster_config.h"
#include "shared/config/yaml_reader.h"

namespace callmesh::config {

// The cluster-wide `zmq:` section (issue 18 item 4): CURVE between services, the largest frame a
// socket accepts, how often endpoint names are resolved again. Paths resolve against `file_name`.
void readZmqSettings(YamlMap& m, const std::string& file_name, ZmqSettings& z);

// A service's `endpoint:` (a string or a list of ZeroMQ endpoints) into `out`; errors name the key.
// tcp://, ipc:// or inproc://: the transports a service's ZeroMQ socket binds or connects on.
bool looksLikeZmqEndpoint(const std::string& e);

void readEndpointList(YamlMap& m, std::string_view key, const std::string& fallback,
                      std::vector<std::string>& out);

}  // namespace callmesh::config
