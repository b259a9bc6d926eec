#pragma once

// One registry of agents (issue 20, docs/provisioning.md): the `agents` section of the active
// routing document is the single source of who an agent is: id, phone, working hours in an IANA
// zone, role, API token hash and texting numbers. The router reads it with the rest of the
// routing table (parse_agents.cpp, which validates every field); agent-presence and notification
// read only this section, through parseAgentRegistry. cluster.yaml's agent_presence.agents,
// notification.agents and notification.tokens still load (an import, with a deprecation warning
// at startup); an agent in the registry wins over them.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shared/base/result.h"
#include "shared/config/cluster_config.h"

namespace callmesh::config {

struct RegistryAgent {
  std::string id;
  std::string number;  // as written (the router normalises it to E.164)
  bool has_hours = false;
  AgentHours hours;  // zone: the agent's time_zone, else its location's
  ApiRole role = ApiRole::Agent;
  std::string api_token_sha256;  // "" = no API access through the registry
  AgentNumbers numbers;          // personal_number, company_number, sender_id
};

using AgentRegistry = std::map<std::string, RegistryAgent>;

// The agents of a routing document. The document was validated by the router's loader before it
// became active, so this reader only needs to be safe: a malformed entry is an InvalidInput error
// naming it, never a crash.
Result<AgentRegistry> parseAgentRegistry(const std::string& routing_yaml,
                                         const std::string& zoneinfo_dir = "/usr/share/zoneinfo");

// Working hours in force: cluster.yaml's (deprecated) entries, each replaced by the registry's
// when the registry lists that agent.
std::map<std::string, AgentHours> mergedHours(const AgentRegistry& registry,
                                              const std::map<std::string, AgentHours>& configured);
// Tokens in force from the registry: hash -> who.
std::map<std::string, ApiToken> registryTokens(const AgentRegistry& registry);

// cluster.yaml keys that still define agents outside the registry, for the startup warning
// ("agent_presence.agents (2 agents)"); empty when none are used.
std::vector<std::string> deprecatedAgentKeys(const ClusterConfig& cfg);

}  // namespace callmesh::config
