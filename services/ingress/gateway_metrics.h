#pragma once

#include <array>
#include <string>
#include <vector>

#include "services/ingress/gateway_sets.h"
#include "services/ingress/ingress_metrics.h"

namespace callmesh::ingress {

// The metrics of every configured gateway, created at startup so they exist (at 0) before
// anything happens and no label ever comes from a message.
class GatewayMetrics {
 public:
  enum class Probe { Answered = 0, Failed = 1, Timeout = 2 };
  enum class Failover { S408 = 0, S500 = 1, S503 = 2, NoAnswer = 3 };

  GatewayMetrics(IngressMetrics& metrics, const GatewaySets& sets);

  // Writes every gateway's up gauge and every set's count of gateways up.
  void publishHealth(const GatewaySets& sets);
  void probed(size_t gateway, Probe result) {
    per_gateway_[gateway].probes[static_cast<size_t>(result)]->Increment();
  }
  void failedOver(size_t gateway, Failover reason) {
    per_gateway_[gateway].failovers[static_cast<size_t>(reason)]->Increment();
  }

 private:
  struct PerGateway {
    prometheus::Gauge* up = nullptr;
    std::array<prometheus::Counter*, 3> probes{};
    std::array<prometheus::Counter*, 4> failovers{};
  };
  std::vector<PerGateway> per_gateway_;
  std::vector<std::pair<std::string, prometheus::Gauge*>> per_set_;
};

}  // namespace callmesh::ingress
