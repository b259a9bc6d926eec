#include "services/ingress/sip_forwarding.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>

#include "services/ingress/sip_inspection.h"

namespace callmesh::ingress {

bool sourceOf(msg_t* msg, std::string& target, std::string& transport, tport_t* tports) {
  su_addrinfo_t* ai = msg_addrinfo(msg);
  if (!ai || !ai->ai_addr) return false;
  char host[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (ai->ai_addr->sa_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(ai->ai_addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
  } else if (ai->ai_addr->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(ai->ai_addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  } else {
    return false;
  }
  transport = ai->ai_protocol == IPPROTO_TCP ? "tcp" : "udp";
  if (tports && transport == "tcp") {
    tport_t* by = tport_delivered_by(tports, msg);
    if (by && tport_has_tls(by)) transport = "tls";
  }
  std::string h = ai->ai_addr->sa_family == AF_INET6 ? "[" + std::string(host) + "]" : host;
  target = "sip:" + h + ":" + std::to_string(port) + ";transport=" + transport;
  return true;
}

bool isOurRoute(const ProxyHop& hop, const url_t* url) {
  if (!url || !url->url_host) return false;
  std::string host = url->url_host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int port = url->url_port ? std::atoi(url->url_port) : url->url_type == url_sips ? 5061 : 5060;
  return hop.ours(port) && (host == hop.rr_host || host == hop.sip_host);
}

bool isOurVia(const ProxyHop& hop, const sip_via_t* via) {
  if (!via || !via->v_host) return false;
  std::string host = via->v_host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int port = via->v_port ? std::atoi(via->v_port) : 5060;
  return hop.ours(port) && (host == hop.rr_host || host == hop.sip_host);
}

bool routesElsewhere(const ProxyHop& hop, const sip_t* sip) {
  for (sip_route_t const* r = sip->sip_route; r; r = r->r_next) {
    if (!isOurRoute(hop, r->r_url)) return true;
  }
  return false;
}

int stripArrivedHeaders(msg_t* msg, const HeaderSource& source) {
  sip_t* sip = sip_object(msg);
  msg_header_t** head = msg_chain_head(msg);
  if (!sip || !head) return 0;
  int removed = 0;
  for (msg_header_t* h = *head; h;) {
    msg_header_t* next = h->sh_succ;
    const char* name =
        h->sh_class == sip_unknown_class ? h->sh_unknown->un_name : h->sh_class->hc_name;
    if (name && *name && fateOf(name, source) == HeaderFate::Remove) {
      msg_header_remove(msg, reinterpret_cast<msg_pub_t*>(sip), h);
      ++removed;
    }
    h = next;
  }
  return removed;
}

bool stepOverUs(const ProxyHop& hop, msg_t* msg, sip_t* sip) {
  while (sip->sip_route && isOurRoute(hop, sip->sip_route->r_url)) sip_route_remove(msg, sip);
  if (sip->sip_max_forwards) {
    if (sip->sip_max_forwards->mf_count == 0) return false;
    sip->sip_max_forwards->mf_count--;
    msg_fragment_clear(sip->sip_max_forwards->mf_common);
  }
  return true;
}

msg_t* prepareForward(const ProxyHop& hop, nta_incoming_t* irq, const HeaderSource& source,
                      const char* new_request_uri, int* error_status, ForwardFrom from) {
  msg_t* ref = nta_incoming_getrequest(irq);  // a reference of our own
  msg_t* fwd = ref;
  if (from == ForwardFrom::Copy) {
    fwd = ref ? msg_copy(ref) : nullptr;
    if (ref) msg_destroy(ref);
  }
  if (!fwd) {
    *error_status = 500;
    return nullptr;
  }
  sip_t* fsip = sip_object(fwd);
  bool had_max_forwards = fsip->sip_max_forwards != nullptr;
  if (!stepOverUs(hop, fwd, fsip)) {
    msg_destroy(fwd);
    *error_status = 483;
    return nullptr;
  }
  stripArrivedHeaders(fwd, source);
  if (!had_max_forwards) sip_add_tl(fwd, fsip, SIPTAG_MAX_FORWARDS_STR("70"), TAG_END());
  if (new_request_uri) {
    sip_request_t* rq = sip_request_create(msg_home(fwd), fsip->sip_request->rq_method,
                                           fsip->sip_request->rq_method_name,
                                           URL_STRING_MAKE(new_request_uri), nullptr);
    if (!rq) {
      msg_destroy(fwd);
      *error_status = 500;
      return nullptr;
    }
    msg_header_replace(fwd, reinterpret_cast<msg_pub_t*>(fsip),
                       reinterpret_cast<msg_header_t*>(fsip->sip_request),
                       reinterpret_cast<msg_header_t*>(rq));
  }
  return fwd;
}

void insertRecordRoute(const ProxyHop& hop, msg_t* msg, const std::string& caller_transport,
                       const std::string& callee_transport) {
  sip_t* fsip = sip_object(msg);
  auto entry = [&](const std::string& transport) {
    std::string host =
        hop.rr_host.find(':') != std::string::npos ? "[" + hop.rr_host + "]" : hop.rr_host;
    bool tls = transport == "tls" && hop.tls_port != 0;
    std::string rr = "<sip:" + host + ":" + std::to_string(tls ? hop.tls_port : hop.port);
    if (transport == "tcp") rr += ";transport=tcp";
    if (tls) rr += ";transport=tls";
    rr += ";lr>";
    return rr;
  };
  auto insert = [&](const std::string& value) {
    sip_record_route_t* rr = sip_record_route_make(msg_home(msg), value.c_str());
    if (rr)
      msg_header_insert(msg, reinterpret_cast<msg_pub_t*>(fsip),
                        reinterpret_cast<msg_header_t*>(rr));
  };
  if (caller_transport == callee_transport) {
    insert(entry(callee_transport));
  } else {
    insert(entry(caller_transport));  // lower entry: the caller's route set starts here
    insert(entry(callee_transport));  // top entry: the callee's route set starts here
  }
}

void addLegHeaders(msg_t* fwd, const CallIdentity& id, const std::vector<std::string>& path,
                   const RoutePlan& plan, const PlanTarget& target) {
  sip_t* fsip = sip_object(fwd);
  std::vector<std::string> headers;
  if (!target.caller_id_number.empty()) {
    std::string host = fsip->sip_from && fsip->sip_from->a_url->url_host
                           ? fsip->sip_from->a_url->url_host
                           : "invalid";
    headers.push_back("P-Asserted-Identity: <sip:" + headerSafe(target.caller_id_number) + "@" +
                      headerSafe(host) + ">");
  }
  if (!target.extension_digits.empty())
    headers.push_back("X-Callmesh-Post-Dial: " + headerSafe(target.extension_digits));
  if (!target.whisper.empty())
    headers.push_back("X-Callmesh-Whisper: " + headerSafe(target.whisper));
  if (target.prevent_recording) headers.push_back("X-Callmesh-Record: off");
  if (plan.max_duration_s > 0)
    headers.push_back("X-Callmesh-Max-Duration: " + std::to_string(plan.max_duration_s));
  if (!plan.source_tag.empty())
    headers.push_back("X-Callmesh-Source-Tag: " + headerSafe(plan.source_tag));
  // Our number joins the path, so a call that comes back to us is recognised (seed 003).
  std::string on_path;
  for (const auto& n : path) on_path += headerSafe(n) + ",";
  on_path += headerSafe(plan.number.empty() ? id.dialed : plan.number);
  headers.push_back("X-Callmesh-Path: " + on_path);
  // Inserted as headers, before the blank line. SIPTAG_HEADER_STR would parse them onto the end
  // of the fragment chain, after the separator: into the body, where no gateway reads them.
  for (const auto& h : headers) {
    msg_header_t* header = msg_header_make(msg_home(fwd), sip_unknown_class, h.c_str());
    if (header) msg_header_insert(fwd, reinterpret_cast<msg_pub_t*>(fsip), header);
  }
}

}  // namespace callmesh::ingress
