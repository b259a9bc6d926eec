#pragma once

#include <string>

#include "shared/config/cluster_config.h"
#include "shared/config/yaml_reader.h"

namespace callmesh::config {

// The ingress's keys for agents' digest authentication (issue 16 item 5), read from its section:
// agent_auth (required|off), agent_credentials_file, agent_auth_realm, agent_auth_algorithms,
// agent_nonce_lifetime_s, agent_nonce_secret_file. Paths are resolved against `file_name`.
void readAgentAuth(YamlMap& m, const std::string& file_name, AgentAuthSettings& a);

}  // namespace callmesh::config
