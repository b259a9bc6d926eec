#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "services/ingress/gateway_dns.h"
#include "services/ingress/gateway_health.h"
#include "services/ingress/gateway_selection.h"
#include "shared/config/gateway_settings.h"

namespace callmesh::ingress {

// One gateway of one set, with its health. A gateway listed in two sets is two entries (probed
// twice): sets stay independent and the metric labels (set, gateway) unique. A gateway given by
// DNS name is gateway_dns_max_targets members ("name/0", "name/1", ...), each filled with one
// resolved address or empty (inactive: never probed, never tried).
struct Gateway {
  std::string set;
  std::string name;       // metric label: from configuration only
  std::string host_port;  // numeric host:port ([v6]:port), the target of probes and INVITEs
  std::string transport;  // "", "udp", "tcp" or "tls"
  std::string probe_uri;  // sip:host:port[;transport=x]
  // Over TLS to a gateway given by name: the name its certificate must carry (ResolvedTarget).
  std::string server_name;
  std::string route_uri;  // NTA's route URL for probes and INVITEs (gatewayRouteUri)
  // Configured priority x 65536 + SRV priority: a name's SRV tiers sit inside its configured tier.
  int64_t priority = 0;
  int weight = 1;
  GatewayHealth health;
  bool active = true;  // false: a DNS member with no address (yet or any more)
  int dns_name = -1;   // index into dnsNames() for members of a name
};

// Every gateway of every configured set (ingress.gateway_sets) and their health. Pure: the SIP
// side sends the probes and feeds back their outcomes, and hands over DNS answers.
class GatewaySets {
 public:
  GatewaySets(const config::GatewaySetSettings& settings);

  bool empty() const { return gateways_.empty(); }
  bool has(const std::string& set) const { return members_.count(set) != 0; }
  std::vector<Gateway>& gateways() { return gateways_; }
  const std::vector<Gateway>& gateways() const { return gateways_; }
  const std::map<std::string, std::vector<size_t>>& sets() const { return members_; }

  // The gateways a new call to `set` tries, in order (indexes into gateways()); those down or
  // inactive are left out (orderGateways). Empty when the set is unknown or has none up.
  std::vector<size_t> candidates(const std::string& set, const Draw& draw) const;
  size_t upCount(const std::string& set) const;

  // The names to resolve (RFC 3263), from configuration only, and the set and entry name each
  // belongs to (metric labels).
  struct DnsName {
    std::string set;
    std::string name;
    GatewayName query;
    std::vector<size_t> members;  // indexes into gateways()
  };
  const std::vector<DnsName>& dnsNames() const { return dns_; }
  // Fills the name's members with `targets` (at most its member count; the rest inactive). A
  // member whose address or transport changes starts over with fresh health (up, unprobed).
  // Returns the members that changed, so the caller forgets their probes in flight.
  std::vector<size_t> applyResolution(size_t dns_name, const std::vector<ResolvedTarget>& targets);

 private:
  HealthPolicy policy_;
  std::vector<Gateway> gateways_;
  std::map<std::string, std::vector<size_t>> members_;
  std::vector<DnsName> dns_;
};

}  // namespace callmesh::ingress
