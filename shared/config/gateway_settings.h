#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace callmesh::config {

class YamlMap;

// One carrier gateway of a set (cluster.yaml `ingress.gateway_sets`).
struct GatewayEntry {
  std::string name;  // metric label and log name; default host:port (config only: bounded)
  std::string host;  // IP address or a name from this file
  int port = 5060;
  std::string transport;  // "" (UDP, TCP over the MTU), "udp" or "tcp"
  int priority = 0;       // lower is tried first (as SRV)
  int weight = 1;         // share of calls among gateways of one priority; 0 = only as last resort
};

// Gateway sets, their OPTIONS probing and in-call failover (issue 21; services/ingress/README.md
// "Gateway sets"). A ring target `sip:<user>@<set name>` goes through the set.
struct GatewaySetSettings {
  std::map<std::string, std::vector<GatewayEntry>> sets;
  int probe_interval_ms = 5000;  // one OPTIONS per gateway this often (none in flight twice)
  int probe_timeout_ms = 2000;   // an OPTIONS unanswered this long counts as failed
  int failures_before_down = 3;  // consecutive failed probes that mark an up gateway down
  int successes_before_up = 2;   // consecutive answered probes that bring a down gateway back
  int answer_timeout_ms = 3000;  // an INVITE with no response at all this long: next gateway
};

// Bounds: an operator's typo must not make the ingress probe thousands of hosts.
constexpr size_t kMaxGatewaySets = 32;
constexpr size_t kMaxGatewaysPerSet = 16;
constexpr size_t kMaxGateways = 128;

// Reads `gateway_sets`, the old single `pstn_gateway` (host:port: the one-gateway set "pstn")
// and the gateway_* timing keys from the ingress section.
void readGatewaySets(YamlMap& m, GatewaySetSettings& g);

// True for a set name usable as a URI host and a metric label: [a-z0-9-], 1..32, not all digits.
bool validGatewaySetName(const std::string& name);

}  // namespace callmesh::config
