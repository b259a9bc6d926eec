// The SIP loop's 10 ms tick: the work the ingress does between SIP messages (event batches,
// releases no acquire carried, link retries, recording commands, TLS files, connection sweeps,
// gateway probes and DNS, lease renewals), each bounded so the loop stays responsive.
#include "services/ingress/name_resolution_guard.h"
#include "services/ingress/sip_proxy.h"

namespace callmesh::ingress {

void SipProxy::onTick() {
  ++ticks_;
  // Events wait for one batch per event_flush_ms: every batch costs each receiver a wakeup and a
  // Redis round trip however many calls it carries. Releases no acquire has carried go once they
  // have waited kCarryWaitMs (near the cap at once): a slot held longer than its call is a slot
  // another caller may be refused (486) at the cap.
  if (clock_.steadyMs() - last_flush_ms_ >= config_.ingress.event_flush_ms) {
    last_flush_ms_ = clock_.steadyMs();
    links_.events->flush();
  }
  releases_.flushOlderThan(SlotReleases::kCarryWaitMs);
  for (auto* link : {links_.router.get(), links_.limiter.get(), links_.limiter_background.get(),
                     links_.presence_events.get(), links_.notification_events.get()}) {
    if (link->pending() > 0) link->onTick();  // retries and expiries; no libzmq call otherwise
    // A send may have consumed ZMQ_FD's edge: drain sockets that sent since their last drain,
    // and every socket once a second as a safety net.
    if (link->needsDrain() || ticks_ % 100 == 0) link->onReadable();
  }
  if (ticks_ % 100 == 0) {
    reloadAgentCredentials();  // once a second: one stat
    int64_t steady_decay_ms = config_.ingress.heap_steady_decay_ms;
    if (metrics_.heap.update() && steady_decay_ms > 0) {
      if (auto mode = heap_watch_.sample(clock_.steadyMs(), metrics_.heap.activeBytes())) {
        (void)metrics_.heap.applyMode(*mode, steady_decay_ms);
        log_.info("heap_mode",
                  {{"steady", *mode == HeapGrowthWatch::Mode::Steady},
                   {"active_bytes", static_cast<int64_t>(metrics_.heap.activeBytes())}});
      }
    }
  }
  // Recording commands are a person's clicks: read every tick (one non-blocking recv), served
  // at most 16 a tick so a flood cannot hold the SIP loop (the rest wait in the socket, whose
  // queue ZeroMQ bounds at its high-water mark).
  if (links_.control) links_.control->serveReady(16);
  int64_t now = clock_.steadyMs();
  if (tls_stamps_ && now - last_tls_check_ms_ >= config_.ingress.tls.reload_check_ms) {
    last_tls_check_ms_ = now;
    checkTlsFiles();  // three stats
  }
  if (now - last_sweep_ms_ >= 1000) {
    last_sweep_ms_ = now;
    sweepConnections();
  }
  if (gateway_resolver_) applyGatewayResolutions();
  if (!gateway_sets_.empty()) probeGateways();
  calls_.onTick();  // frees ended calls (outside callbacks), reads notices, renews leases
  uint64_t refused = refusedNameLookups();
  if (refused > refused_lookups_reported_) {
    metrics_.refused_name_lookups.Increment(
        static_cast<double>(refused - refused_lookups_reported_));
    refused_lookups_reported_ = refused;
  }
  // Unacknowledged events: collected and not yet flushed, or sent and not yet acknowledged.
  metrics_.events_pending.Set(static_cast<double>(links_.events->unsent() +
                                                  links_.presence_events->pending() +
                                                  links_.notification_events->pending()));
  if (links_.events->dropped() > events_dropped_reported_) {
    metrics_.events_dropped.Increment(
        static_cast<double>(links_.events->dropped() - events_dropped_reported_));
    events_dropped_reported_ = links_.events->dropped();
  }
}

}  // namespace callmesh::ingress
