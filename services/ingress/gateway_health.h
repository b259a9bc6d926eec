#pragma once

#include <cstdint>

namespace callmesh::ingress {

// When a gateway is probed and how many answers move it between up and down (Kamailio
// dispatcher's ds_ping_interval / ds_probing_threshold / ds_inactive_threshold).
struct HealthPolicy {
  int64_t probe_interval_ms = 5000;
  int64_t probe_timeout_ms = 2000;
  int failures_before_down = 3;
  int successes_before_up = 2;
};

// One gateway's health from its OPTIONS probes. Pure: the caller passes the time (steady ms) and
// sends the probe; at most one probe is in flight, so probes to a dead gateway never pile up.
// A gateway starts up (calls go to it before the first probe has answered, as a freshly
// configured dispatcher destination does); `failures_before_down` failed probes in a row take it
// down, `successes_before_up` answered probes in a row bring it back.
class GatewayHealth {
 public:
  explicit GatewayHealth(const HealthPolicy& policy) : policy_(policy) {}

  bool up() const { return up_; }
  bool probeInFlight() const { return in_flight_; }
  // True when a probe should go out now: none in flight and the interval since the last one
  // has passed (the first one at once).
  bool probeDue(int64_t now_ms) const;
  void probeSent(int64_t now_ms);
  // True when the probe in flight has waited past probe_timeout_ms: the caller abandons it and
  // reports a failure.
  bool probeOverdue(int64_t now_ms) const;
  // The probe's outcome (answered = a response that shows the gateway serves SIP). True when the
  // state changed (up <-> down).
  bool probeFinished(bool answered);

  // Whether an OPTIONS response shows a serving gateway: any final response below 500 but 408
  // (a 404 or 405 still proves a SIP stack behind the address that routes requests);
  // 408, 5xx and 6xx do not.
  static bool answeredBy(int status);

 private:
  HealthPolicy policy_;
  bool up_ = true;
  bool in_flight_ = false;
  bool probed_ = false;
  int64_t last_sent_ms_ = 0;
  int failures_ = 0;   // in a row
  int successes_ = 0;  // in a row
};

}  // namespace callmesh::ingress
