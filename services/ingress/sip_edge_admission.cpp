// The edge of the ingress, before any transaction or call exists: which sources may send at all
// (SourceGuard: trusted networks, request rate, bans), which may start new calls (the new-call
// rate), and which messages are within the edge bounds (EdgeBounds). Every refusal here is
// stateless: no transaction, no call, at most one reply.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>

#include "services/ingress/sip_inspection.h"
#include "services/ingress/sip_message_class.h"
#include "services/ingress/sip_proxy.h"

namespace callmesh::ingress {

// Runs before NTA creates any transaction (requests reach us through the agent's message
// callback, there is no default leg): a refused request costs no state and gets no reply, so a
// flood is neither stored nor amplified by retransmitted error responses. The answers it does
// give (503 to new calls over their rate, an edge bound's 4xx/5xx) are stateless.
bool SipProxy::admitSource(msg_t* msg, const sip_t* sip) {
  std::string target;
  std::string transport;
  bool known = sourceOf(msg, target, transport, nta_agent_tports(agent_));
  std::string ip = known ? hostOfTarget(target) : std::string();
  if (known && transport != "udp") {
    // The connection delivered a message: past its first-message deadline (connection_bounds.h).
    auto colon = target.rfind(':');
    connection_bounds_.delivered(ip, std::atoi(target.c_str() + colon + 1), clock_.steadyMs());
  }
  // A known trunk (by certificate or address) is trusted by being one, at its own rates; any
  // other source goes through trusted_sources and the per-source rates.
  const Trunk* trunk = known ? trunkOf(msg, ip) : nullptr;
  auto verdict = trunk ? links_.guard->checkTrunk(trunk->bucket, trunk->rates, clock_.steadyMs())
                       : links_.guard->check(ip, clock_.steadyMs());
  switch (verdict) {
    case SourceGuard::Verdict::Allow:
      return admitNewCall(msg, sip, ip, trunk) && withinEdgeBounds(msg, sip, ip, transport);
    case SourceGuard::Verdict::Untrusted:
      metrics_.blocked("untrusted").Increment();
      if (config_.ingress.reject_untrusted && sip && sip->sip_request &&
          sip->sip_request->rq_method != sip_method_ack) {
        nta_msg_treply(agent_, msg, 403, "Forbidden (source not trusted)", TAG_END());
      } else {
        nta_msg_discard(agent_, msg);
      }
      return false;
    case SourceGuard::Verdict::RateLimited:
      metrics_.blocked("rate_limited").Increment();
      if (trunk) trunk_metrics_.blocked(*trunk, TrunkMetrics::Blocked::RateLimited);
      log_.warn("source_banned", {{"source", ip},
                                  {"trunk", trunk ? trunk->name.c_str() : ""},
                                  {"ban_s", config_.ingress.ban_s}});
      nta_msg_discard(agent_, msg);
      return false;
    case SourceGuard::Verdict::Banned:
      metrics_.blocked("banned").Increment();
      if (trunk) trunk_metrics_.blocked(*trunk, TrunkMetrics::Blocked::Banned);
      nta_msg_discard(agent_, msg);
      return false;
  }
  return false;
}

// New calls (initial INVITE, out-of-dialog MESSAGE or OPTIONS) within the source's new-call
// rate (SourceGuard says why it is apart from the request rate). Over it: 503 with Retry-After,
// so a gateway moves the call to another ingress at once; a source that keeps on regardless is
// dropped without a reply for ban_s. In-dialog requests, ACK and CANCEL are not new calls.
bool SipProxy::admitNewCall(msg_t* msg, const sip_t* sip, const std::string& ip,
                            const Trunk* trunk) {
  if (!sip || !sip->sip_request || (sip->sip_to && sip->sip_to->a_tag)) return true;
  sip_method_t method = sip->sip_request->rq_method;
  if (method != sip_method_invite && method != sip_method_message && method != sip_method_options)
    return true;
  int retry_after_s = 0;
  switch (links_.guard->checkNewCall(trunk ? trunk->bucket : ip, clock_.steadyMs(), retry_after_s,
                                     trunk ? &trunk->rates : nullptr)) {
    case SourceGuard::NewCall::Allow:
      if (trunk) trunk_metrics_.newCall(*trunk);
      return true;
    case SourceGuard::NewCall::Refused: {
      metrics_.blocked("new_call_rate").Increment();
      if (trunk) trunk_metrics_.blocked(*trunk, TrunkMetrics::Blocked::NewCallRate);
      std::string retry_after = std::to_string(retry_after_s);
      nta_msg_treply(agent_, msg, 503, "Service Unavailable (new-call rate)",
                     SIPTAG_RETRY_AFTER_STR(retry_after.c_str()), TAG_END());
      return false;
    }
    case SourceGuard::NewCall::Banned:
      if (links_.guard->newCallBans() > new_call_bans_reported_) {
        new_call_bans_reported_ = links_.guard->newCallBans();
        log_.warn("source_new_calls_banned", {{"source", ip},
                                              {"trunk", trunk ? trunk->name.c_str() : ""},
                                              {"ban_s", config_.ingress.ban_s}});
      }
      metrics_.blocked("new_call_banned").Increment();
      if (trunk) trunk_metrics_.blocked(*trunk, TrunkMetrics::Blocked::NewCallBanned);
      nta_msg_discard(agent_, msg);
      return false;
  }
  return true;
}

// Over a bound (EdgeBounds): answered statelessly (no transaction, no call); dropped for ACK, for
// responses, and over UDP for the bounds that say so (the header section).
bool SipProxy::withinEdgeBounds(msg_t* msg, const sip_t* sip, const std::string& ip,
                                const std::string& transport) {
  auto over = oversizedPart(edge_bounds_, sip);
  if (!over) return true;
  bool section = std::strcmp(over->what, "header_section") == 0;
  metrics_.blocked(section ? "header_section" : "oversized").Increment();
  log_.warn("request_oversized", {{"source", ip}, {"part", over->what}, {"transport", transport}});
  bool answer = sip->sip_request && sip->sip_request->rq_method != sip_method_ack &&
                !(over->silent_over_udp && transport == "udp");
  if (answer) {
    nta_msg_treply(agent_, msg, over->status, over->phrase, TAG_END());
  } else {
    nta_msg_discard(agent_, msg);
  }
  return false;
}

// Whether `msg`'s sender is in the RFC 3325 trust domain: its trunk's setting for a known trunk,
// else ingress.identity_trusted_sources.
bool SipProxy::identityTrusted(msg_t* msg) const {
  // Asked for every relayed message: with no trust domain and no trunks (the default) there is
  // nothing to read.
  if (!msg || (identity_trust_.empty() && trunks_.empty())) return false;
  su_addrinfo_t* ai = msg_addrinfo(msg);
  if (!ai || !ai->ai_addr) return false;
  char host[INET6_ADDRSTRLEN] = {0};
  const void* raw =
      ai->ai_addr->sa_family == AF_INET6
          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr)
          : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr);
  if (!inet_ntop(ai->ai_addr->sa_family, raw, host, sizeof(host))) return false;
  // A known trunk's own setting decides; others are judged by identity_trusted_sources.
  if (const Trunk* trunk = trunkOf(msg, host)) return trunk->identity_trusted;
  return identity_trust_.contains(host);
}

const Trunk* SipProxy::trunkOf(msg_t* msg, const std::string& ip) const {
  if (trunks_.empty()) return nullptr;
  return trunks_.identify(
      ip, trunks_.anyByCertificate() ? verifiedSubjects(msg) : std::vector<std::string>{});
}

}  // namespace callmesh::ingress
