// SipProxy's side of agents' digest authentication (agent_auth.h): reading Proxy-Authorization
// from a new request, answering 407 with the challenges, re-reading the credentials file.
#include <string>

#include "services/ingress/sip_inspection.h"
#include "services/ingress/sip_proxy.h"

namespace callmesh::ingress {

namespace {

// "Digest k=v, k=v" from sofia's parse (scheme and parameters as sent).
std::string authorizationText(const sip_proxy_authorization_t* au) {
  std::string text = au->au_scheme ? au->au_scheme : "";
  text += " ";
  for (size_t i = 0; au->au_params && au->au_params[i]; ++i) {
    if (i > 0) text += ", ";
    text += au->au_params[i];
  }
  return text;
}

}  // namespace

bool SipProxy::authenticateAgent(nta_incoming_t* irq, const sip_t* sip, std::string& agent) {
  if (!links_.agent_auth) return true;
  AgentAuth& auth = *links_.agent_auth;
  for (const sip_proxy_authorization_t* au = sip->sip_proxy_authorization; au; au = au->au_next) {
    std::string text = authorizationText(au);
    if (!auth.isOurs(text)) continue;  // for another proxy on the path
    AgentAuth::Check check = auth.verify(sip->sip_request->rq_method_name,
                                         userPart(sip->sip_request->rq_url), text, clock_.nowMs());
    if (check.verdict == AgentAuth::Verdict::Authenticated) {
      agent = std::move(check.agent);
      return true;
    }
    log_.info("agent_auth_refused",
              {{"call_id", std::string(sip->sip_call_id ? sip->sip_call_id->i_id : "")},
               {"why", check.why}});
    bool stale = check.verdict == AgentAuth::Verdict::Stale;
    challenge(
        irq,
        stale ? "Proxy Authentication Required (stale nonce)" : "Proxy Authentication Required",
        stale);
    nta_incoming_destroy(irq);
    return false;
  }
  return true;
}

void SipProxy::challenge(nta_incoming_t* irq, const char* reason, bool stale) {
  nta_incoming_tag(irq, nullptr);
  if (!links_.agent_auth) {
    nta_incoming_treply(irq, 407, reason, TAG_END());
    return;
  }
  // Most preferred first (RFC 8760 2.4): SHA-256, then MD5 for older phones.
  std::vector<std::string> c = links_.agent_auth->challenges(clock_.nowMs(), stale);
  // TAG_IF evaluates the value either way: both exist (empty when not offered).
  const char* first = c.empty() ? "" : c[0].c_str();
  const char* second = c.size() > 1 ? c[1].c_str() : "";
  nta_incoming_treply(irq, 407, reason, TAG_IF(!c.empty(), SIPTAG_PROXY_AUTHENTICATE_STR(first)),
                      TAG_IF(c.size() > 1, SIPTAG_PROXY_AUTHENTICATE_STR(second)), TAG_END());
}

void SipProxy::reloadAgentCredentials() {
  if (!links_.agent_auth) return;
  auto r = links_.agent_auth->reloadCredentials();
  if (!r.ok()) {
    // The message names the file and line, never an HA1; the old credentials stay in force.
    log_.error("agent_credentials_rejected", {{"error", r.error().describe()}});
  } else if (r.value()) {
    log_.info("agent_credentials_loaded", {});
  }
}

}  // namespace callmesh::ingress
