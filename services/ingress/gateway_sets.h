#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "services/ingress/gateway_health.h"
#include "services/ingress/gateway_selection.h"
#include "shared/config/gateway_settings.h"

namespace callmesh::ingress {

// One configured gateway of one set, with its health. A gateway listed in two sets is two
// entries (probed twice): sets stay independent and the metric labels (set, gateway) unique.
struct Gateway {
  std::string set;
  std::string name;       // metric label: from configuration only
  std::string host_port;  // host:port ([v6]:port), the target of probes and INVITEs
  std::string transport;  // "", "udp" or "tcp"
  std::string probe_uri;  // sip:host:port[;transport=x]
  int priority = 0;
  int weight = 1;
  GatewayHealth health;
};

// Every gateway of every configured set (ingress.gateway_sets) and their health. Pure: the SIP
// side sends the probes and feeds back their outcomes.
class GatewaySets {
 public:
  GatewaySets(const config::GatewaySetSettings& settings);

  bool empty() const { return gateways_.empty(); }
  bool has(const std::string& set) const { return members_.count(set) != 0; }
  std::vector<Gateway>& gateways() { return gateways_; }
  const std::vector<Gateway>& gateways() const { return gateways_; }
  const std::map<std::string, std::vector<size_t>>& sets() const { return members_; }

  // The gateways a new call to `set` tries, in order (indexes into gateways()); those down are
  // left out (orderGateways). Empty when the set is unknown or has no gateway up.
  std::vector<size_t> candidates(const std::string& set, const Draw& draw) const;
  size_t upCount(const std::string& set) const;

 private:
  std::vector<Gateway> gateways_;
  std::map<std::string, std::vector<size_t>> members_;
};

}  // namespace callmesh::ingress
