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
  std::string transport;  // "" (UDP, TCP over the MTU), "udp", "tcp" or "tls" (sips:)
  int priority = 0;       // lower is tried first (as SRV)
  int weight = 1;         // share of calls among gateways of one priority; 0 = only as last resort
  bool port_set = false;  // the uri names a port (a name without one is looked up by NAPTR/SRV)
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
  // Gateways given by name (RFC 3263, services/ingress/README.md "Gateways by DNS name").
  std::string dns_server;     // "ipv4:port"; "" = the nameservers of /etc/resolv.conf
  int dns_timeout_ms = 1000;  // one DNS query attempt (libresolv: whole seconds, rounded up)
  int dns_attempts = 2;       // attempts per query
  int dns_max_targets = 4;    // addresses kept per name: the name's members of its set
  int dns_retry_ms = 5000;    // after a failed resolution, the next attempt
  int dns_stale_ms = 300000;  // a failing name keeps its last answer this long past its TTL
};

// True when a gateway host is a DNS name (resolved by the ingress's gateway resolver), not an
// IPv4 or IPv6 address.
bool gatewayHostIsName(const std::string& host);

// Bounds: an operator's typo must not make the ingress probe thousands of hosts.
constexpr size_t kMaxGatewaySets = 32;
constexpr size_t kMaxGatewaysPerSet = 16;
constexpr size_t kMaxGateways = 128;
constexpr int kMaxDnsTargets = 8;  // per name: members (and metric series) a name may fill

// Reads `gateway_sets`, the old single `pstn_gateway` (host:port: the one-gateway set "pstn")
// and the gateway_* timing keys from the ingress section.
void readGatewaySets(YamlMap& m, GatewaySetSettings& g);

// True for a set name usable as a URI host and a metric label: [a-z0-9-], 1..32, not all digits.
bool validGatewaySetName(const std::string& name);

}  // namespace callmesh::config
