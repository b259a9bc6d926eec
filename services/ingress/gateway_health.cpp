#include "services/ingress/gateway_health.h"

namespace callmesh::ingress {

bool GatewayHealth::probeDue(int64_t now_ms) const {
  if (in_flight_) return false;
  return !probed_ || now_ms - last_sent_ms_ >= policy_.probe_interval_ms;
}

void GatewayHealth::probeSent(int64_t now_ms) {
  in_flight_ = true;
  probed_ = true;
  last_sent_ms_ = now_ms;
}

bool GatewayHealth::probeOverdue(int64_t now_ms) const {
  return in_flight_ && now_ms - last_sent_ms_ >= policy_.probe_timeout_ms;
}

bool GatewayHealth::probeFinished(bool answered) {
  in_flight_ = false;
  if (answered) {
    failures_ = 0;
    ++successes_;
    if (!up_ && successes_ >= policy_.successes_before_up) {
      up_ = true;
      return true;
    }
    return false;
  }
  successes_ = 0;
  ++failures_;
  if (up_ && failures_ >= policy_.failures_before_down) {
    up_ = false;
    return true;
  }
  return false;
}

bool GatewayHealth::answeredBy(int status) {
  return status >= 200 && status < 500 && status != 408;
}

}  // namespace callmesh::ingress
