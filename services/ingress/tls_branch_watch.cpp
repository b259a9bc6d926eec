// A TLS leg refused for its certificate must not leave the caller waiting (issue 21 item 1).
// sofia 1.12 checks the peer's certificate when the handshake ends (tls_post_connection_check:
// the chain against tls_ca_file, the connection's name among the certificate's subjects) and on
// a refusal, or any failed handshake, calls tport_close() on the connection: the INVITE queued on
// it is dropped, but the transaction is not told (tport_close reports no error to the requests
// pending on the connection, unlike a refused or reset TCP connect, which NTA turns into a 503).
// The branch would then wait for the gateway's answer deadline, the ring timeout or timer B
// (32 s). So while a TLS branch has had no response, a short timer looks at its connection
// (nta_outgoing_transport: the transport NTA sent on) and, once sofia has closed it, fails the
// branch as that 503 would: the next gateway of its set, else the branch's final response.
// SipProxy's side, on the su_root thread.
#include "services/ingress/sip_proxy.h"

namespace callmesh::ingress {

namespace {

// Often enough that the refusal costs the caller nothing noticeable, rarely enough to be free: a
// branch is watched only until its first response (a 100 Trying within milliseconds).
constexpr int64_t kTlsWatchMs = 20;

void tlsWatchTrampoline(void*, su_timer_t*, void* branch) {
  auto* b = static_cast<SipBranch*>(branch);
  b->proxy->onTlsWatch(b);
}

}  // namespace

void SipProxy::watchTlsBranch(SipBranch& branch) {
  if (!branch.tls_watch) branch.tls_watch.reset(su_timer_create(su_root_task(root_), kTlsWatchMs));
  if (branch.tls_watch) su_timer_set(branch.tls_watch.get(), tlsWatchTrampoline, &branch);
}

void SipProxy::onTlsWatch(SipBranch* branch) {
  if (!branch->orq) {  // answered elsewhere, cancelled or timed out: nothing to watch
    branch->tls_watch.reset();
    return;
  }
  tport_t* tp = nta_outgoing_transport(branch->orq.get());  // a reference: released below
  bool lost = tp && tport_is_secondary(tp) && tport_is_closed(tp);
  if (tp) tport_decref(&tp);
  if (!lost) {
    su_timer_set(branch->tls_watch.get(), tlsWatchTrampoline, branch);
    return;
  }
  branchTransportLost(*branch);
}

void SipProxy::branchTransportLost(SipBranch& branch) {
  Call& call = *branch.call;
  branch.tls_watch.reset();
  branch.answer_timer.reset();
  log_.warn("branch_connection_closed",
            {{"call_id", call.id.call_id},
             {"target", branch.uri},
             {"route", branch.route},
             {"effect", std::string(branch.gateways.empty() ? "branch fails 503"
                                                            : "next gateway, else 503")}});
  // Nothing was answered on it; NTA keeps the transaction until its own timer, quietly.
  branch.orq.reset();
  if (!branch.gateways.empty() && !branch.cancelled &&
      failOver(branch, GatewayMetrics::Failover::S503))
    return;
  calls_.branchFinal(call, branch.index, 503, "Service Unavailable");
  calls_.reapIfDone(call);
}

}  // namespace callmesh::ingress
