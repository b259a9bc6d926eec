// OPTIONS probes of the configured gateways (issue 21): one out-of-dialog OPTIONS per gateway
// every gateway_probe_interval_ms, never two in flight for one gateway; the answers drive each
// gateway's GatewayHealth and the metrics. SipProxy's side, on the su_root thread.
#include "services/ingress/sip_proxy.h"

namespace callmesh::ingress {

namespace {
int probeTrampoline(void* probe, nta_outgoing_t* orq, const sip_t* sip) {
  auto* p = static_cast<SipProxy::GatewayProbe*>(probe);
  return p->proxy->onProbeResponse(p, orq, sip);
}
}  // namespace

void SipProxy::probeGateways() {
  // Every gateway's host_port is numeric (a gateway given by name is resolved by the gateway
  // resolver into numeric members), so no probe makes sofia resolve anything.
  if (probes_.empty()) {
    for (size_t i = 0; i < gateway_sets_.gateways().size(); ++i) {
      auto probe = std::make_unique<GatewayProbe>();
      probe->proxy = this;
      probe->gateway = i;
      probes_.push_back(std::move(probe));
    }
  }
  int64_t now = clock_.steadyMs();
  for (auto& probe : probes_) {
    Gateway& gw = gateway_sets_.gateways()[probe->gateway];
    if (!gw.active) continue;  // a DNS member with no address
    if (gw.health.probeOverdue(now)) {
      // Abandoned: NTA keeps the transaction (no callback) until its timer F, so the OPTIONS a
      // dead gateway holds are bounded by 32 s / gateway_probe_interval_ms (at least 500 ms).
      probe->orq.reset();
      finishProbe(*probe, GatewayMetrics::Probe::Timeout);
    }
    if (!gw.health.probeDue(now)) continue;
    msg_t* msg = nta_msg_create(agent_, 0);
    sip_t* sip = msg ? sip_object(msg) : nullptr;
    if (!sip) {
      if (msg) msg_destroy(msg);
      continue;
    }
    su_home_t* home = msg_home(msg);
    std::string rr_host =
        hop_.rr_host.find(':') != std::string::npos ? "[" + hop_.rr_host + "]" : hop_.rr_host;
    std::string from = "<sip:ping@" + rr_host + ":" + std::to_string(hop_.port) + ">";
    std::string to = "<" + gw.probe_uri + ">";
    if (sip_add_tl(msg, sip,
                   SIPTAG_REQUEST(sip_request_create(
                       home, SIP_METHOD_OPTIONS, URL_STRING_MAKE(gw.probe_uri.c_str()), nullptr)),
                   SIPTAG_FROM_STR(from.c_str()), SIPTAG_TO_STR(to.c_str()),
                   SIPTAG_CALL_ID(sip_call_id_create(home, nullptr)),
                   SIPTAG_CSEQ(sip_cseq_create(home, 1, SIP_METHOD_OPTIONS)),
                   SIPTAG_MAX_FORWARDS_STR("70"), TAG_END()) < 0 ||
        !sip->sip_from ||
        sip_from_tag(home, sip->sip_from, nta_agent_newtag(home, "%s", agent_)) < 0) {
      msg_destroy(msg);
      continue;
    }
    gw.health.probeSent(now);
    // The request URI is the address; the route (gatewayRouteUri) may name the TLS host.
    probe->orq.reset(nta_outgoing_mcreate(agent_, probeTrampoline, probe.get(),
                                          URL_STRING_MAKE(gw.route_uri.c_str()), msg, TAG_END()));
    if (!probe->orq) {
      msg_destroy(msg);
      finishProbe(*probe, GatewayMetrics::Probe::Failed);
    }
  }
}

int SipProxy::onProbeResponse(GatewayProbe* probe, nta_outgoing_t* orq, const sip_t*) {
  int status = nta_outgoing_status(orq);
  if (status < 200) return 0;
  probe->orq.reset();
  finishProbe(*probe, GatewayHealth::answeredBy(status) ? GatewayMetrics::Probe::Answered
                                                        : GatewayMetrics::Probe::Failed);
  return 0;
}

void SipProxy::finishProbe(GatewayProbe& probe, GatewayMetrics::Probe result) {
  Gateway& gw = gateway_sets_.gateways()[probe.gateway];
  gateway_metrics_.probed(probe.gateway, result);
  if (gw.health.probeFinished(result == GatewayMetrics::Probe::Answered)) {
    gateway_metrics_.publishHealth(gateway_sets_);
    log_.warn(gw.health.up() ? "gateway_up" : "gateway_down",
              {{"set", gw.set},
               {"gateway", gw.name},
               {"set_gateways_up", static_cast<int64_t>(gateway_sets_.upCount(gw.set))}});
  }
}

}  // namespace callmesh::ingress
