#include "services/ingress/sip_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <random>

#include "services/ingress/accept_gate.h"
#include "services/ingress/open_descriptors.h"
#include "services/ingress/sip_inspection.h"
#include "services/ingress/sip_message_class.h"
#include "services/ingress/sofia_clock.h"
#include "services/ingress/sofia_datagrams.h"
#include "shared/transport/envelope.h"

namespace callmesh::ingress {

namespace {

constexpr int kTickMs = 10;
// RFC 3261 17.1.1.1 and table 4's defaults. A smaller T1 is NOT RECOMMENDED outside closed
// networks, and our gateways sit across carriers' networks.
constexpr unsigned kSipT1Ms = 500;
constexpr unsigned kSipT2Ms = 4000;
constexpr unsigned kSipT4Ms = 5000;
constexpr const char* kAllow = "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, UPDATE, INFO, PRACK";

std::string text(const char* s) { return s ? std::string(s) : std::string(); }

// C trampolines: NTA and su hand back the `void*` magic we registered.
int strayTrampoline(void* self, nta_agent_t*, msg_t* msg, sip_t* sip) {
  return static_cast<SipProxy*>(self)->onStray(msg, sip);
}
void tickTrampoline(void* self, su_timer_t*, void*) { static_cast<SipProxy*>(self)->onTick(); }
int ackCancelTrampoline(void* call, nta_incoming_t* irq, const sip_t* sip) {
  auto* c = static_cast<Call*>(call);
  return sipOf(*c).proxy->onAckOrCancel(c, irq, sip);
}
// A link's FD fired: drain that link only (each drain costs libzmq a poll and a getpid, so
// draining every socket on every wakeup was a large share of per-call CPU).
int linkWakeup(void*, su_wait_t*, void* link) {
  static_cast<transport::RequestLink*>(link)->onReadable();
  return 0;
}

ProxyHop hopOf(const config::ClusterConfig& config, const ProxyIdentity& identity) {
  ProxyHop hop{config.ingress.record_route_host, config.ingress.sip_host, config.ingress.sip_port,
               config.ingress.tls.port};
  if (hop.rr_host.empty()) {
    hop.rr_host = (config.ingress.sip_host == "0.0.0.0" && !identity.pod_ip.empty())
                      ? identity.pod_ip
                      : config.ingress.sip_host;
  }
  return hop;
}

// Validated with the config like the CIDRs below; a failure here would be a bug: no trunks.
TrunkBook trunksOf(const config::ClusterConfig& config) {
  auto book = TrunkBook::create(config.ingress.trunks);
  return book.ok() ? std::move(book.value()) : TrunkBook::create({}).value();
}

// The CIDRs were validated with the config; a failure here would be a bug, and trusts nobody.
HeapGrowthWatch::Limits heapLimitsOf(const config::ClusterConfig& config) {
  HeapGrowthWatch::Limits limits;
  limits.steady_after_ms = static_cast<int64_t>(config.ingress.heap_steady_after_s) * 1000;
  return limits;
}

TrustDomain identityTrustOf(const config::ClusterConfig& config) {
  auto domain = TrustDomain::create(config.ingress.identity_trusted_sources);
  return domain.ok() ? std::move(domain.value()) : TrustDomain();
}

}  // namespace

SipProxy::SipProxy(const config::ClusterConfig& config, IngressLinks links,
                   const ProxyIdentity& identity, IngressMetrics& metrics, Logger& log,
                   const Clock& clock)
    : config_(config),
      links_(std::move(links)),
      metrics_(metrics),
      log_(log),
      clock_(clock),
      media_(config.media, metrics, log),
      instance_id_(identity.instance_id),
      hop_(hopOf(config, identity)),
      identity_trust_(identityTrustOf(config)),
      edge_bounds_{static_cast<size_t>(config.ingress.max_call_id_bytes),
                   static_cast<size_t>(config.ingress.max_uri_bytes),
                   static_cast<size_t>(config.ingress.max_header_bytes),
                   static_cast<size_t>(config.ingress.max_header_section_bytes)},
      trunks_(trunksOf(config)),
      trunk_metrics_(metrics, trunks_),
      connection_bounds_(config.ingress.connections),
      heap_watch_(heapLimitsOf(config)),
      gateway_sets_(config.ingress.gateways),
      gateway_metrics_(metrics, gateway_sets_),
      gateway_draw_(std::random_device{}()),
      releases_(*links_.limiter, *links_.limiter_background, config.limiter.lease_ms, metrics, log,
                clock, SlotReleases::slotsPerFrame(config.ingress.max_call_id_bytes)),
      calls_(
          config,
          CallLinks{*links_.router, links_.router_notices.get(), *links_.limiter, *links_.events},
          releases_, metrics, log, clock, *this) {}

SipProxy::~SipProxy() {
  AcceptGate::uninstall();  // its callback reaches into this object
  // Every sofia handle (branches, timers, server transactions) goes before the agent and root.
  txns_.clear();
  byes_.clear();
  probes_.clear();
  gateway_resolver_.reset();  // stops its thread
  calls_.dropAll();
  tick_timer_.reset();
  for (int index : wait_indices_) su_root_deregister(root_, index);
  for (int fd : adopted_udp_) sofia_datagrams::forget(fd);  // closed with the agent
  if (agent_) nta_agent_destroy(agent_);
  if (root_) su_root_destroy(root_);
  su_deinit();
}

Status SipProxy::start() {
  // Before sofia's first timer: every timer of ours and of NTA on the monotonic clock
  // (sofia_clock.h).
  sofia_clock::followMonotonicClock();
  su_init();
  std::vector<int> epoll_before = EventLoopStep::epollDescriptors();
  root_ = su_root_create(this);
  if (!root_) return Error{ErrorKind::Internal, "su_root_create failed", "ingress"};
  loop_ = EventLoopStep::forRoot(root_, epoll_before);
  std::string host = config_.ingress.sip_host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  std::string contact = "sip:" + host + ":" + std::to_string(hop_.port);
  std::vector<int> fds_before = openDescriptors();
  // RFC 3261's timers, sofia-sip's defaults written out because they decide how long every
  // finished transaction is kept (README, "Finished transactions"): T1 500 ms, T2 4 s, T4 5 s
  // (Timers I and K), 64*T1 = 32 s (Timers B, F, H, J; Timer D is sofia's fixed 32 s).
  agent_ = nta_agent_create(
      root_, URL_STRING_MAKE(contact.c_str()), strayTrampoline, this, NTATAG_UA(0),
      NTATAG_SIP_T1(kSipT1Ms), NTATAG_SIP_T2(kSipT2Ms), NTATAG_SIP_T4(kSipT4Ms),
      NTATAG_SIP_T1X64(64 * kSipT1Ms), NTATAG_SERVER_RPORT(2), NTATAG_TCP_RPORT(1),
      NTATAG_MAXSIZE(65536), NTATAG_CANCEL_487(1), NTATAG_PASS_100(0),
      NTATAG_MCLASS(ingressMessageClass()), NTATAG_TLS_RPORT(1),
      TPTAG_IDLE(static_cast<unsigned>(config_.ingress.connections.idle_timeout_s) * 1000u),
      TPTAG_TIMEOUT(static_cast<unsigned>(config_.ingress.connections.message_timeout_ms)),
      TAG_END());
  if (!agent_) {
    return Error{ErrorKind::Disconnected, "cannot bind SIP UDP+TCP (port in use or bad address)",
                 contact};
  }
  for (int fd : sofia_datagrams::udpSocketsOpenedSince(fds_before, hop_.port))
    if (sofia_datagrams::adopt(fd)) adopted_udp_.push_back(fd);
  if (Status tls = startTls(); !tls.ok()) return tls.error();
  installAcceptGate();
  std::random_device entropy;
  Status media = media_.start((uint64_t{entropy()} << 32) ^ entropy());
  if (!media.ok()) return media.error();
  if (links_.control) {
    links_.control->handle(std::string(transport::message_type::kRecording),
                           [this](const zmq::message_t& p) { return onRecordingCommand(p); });
    links_.control->onError([this](std::string_view type, const Error& e) {
      log_.warn("control_request_dropped", {{"type", type}, {"error", e.describe()}});
    });
  }
  // No default leg on purpose: requests that match no transaction then come to the agent's
  // message callback (onStray) before NTA creates a transaction, so the source guard runs first.

  // The links' sockets in sofia's loop: their FDs wake us (edge-triggered, so onTick drains until
  // empty), and a short periodic tick drives retries and catches any edge we raced past.
  for (auto* link : {links_.router.get(), links_.limiter.get(), links_.limiter_background.get(),
                     links_.presence_events.get(), links_.notification_events.get()}) {
    su_wait_t w;
    if (link->fd() >= 0 && su_wait_create(&w, link->fd(), SU_WAIT_IN) == 0) {
      int index = su_root_register(root_, &w, linkWakeup, link, 0);
      if (index > 0) wait_indices_.push_back(index);
    }
  }
  startGatewayResolver();
  tick_timer_.reset(su_timer_create(su_root_task(root_), kTickMs));
  su_timer_set_for_ever(tick_timer_.get(), tickTrampoline, this);
  ready_ = true;
  log_.info("sip_listening", {{"address", contact},
                              {"record_route", hop_.rr_host},
                              {"instance", instance_id_},
                              {"loop_epoll_fd", static_cast<int64_t>(loop_.epollFd())},
                              {"udp_sockets_adopted", static_cast<int64_t>(adopted_udp_.size())}});
  return {};
}

void SipProxy::run(const std::atomic<bool>& stop) {
  while (!stop.load()) loop_.step(100);
  // Graceful drain (Kubernetes sends SIGTERM before removing a pod): new calls get 503 with
  // Retry-After and /readyz fails, so gateways move to another ingress; calls in progress keep
  // their in-dialog requests (BYE, re-INVITE) until they end or drain_timeout_s passes.
  ready_ = false;
  draining_ = true;
  int64_t drain_until =
      clock_.steadyMs() + static_cast<int64_t>(config_.ingress.drain_timeout_s) * 1000;
  log_.info("draining", {{"calls", static_cast<int64_t>(calls_.calls().size())},
                         {"drain_timeout_s", config_.ingress.drain_timeout_s}});
  while (clock_.steadyMs() < drain_until && !calls_.calls().empty()) loop_.step(100);
  // Whatever is still up is ended by us: a caller still waiting gets its final response (503
  // while admitting, 480 while ringing: CallStateMachine::drainOver), connected calls get BYE on
  // both sides; then every held slot goes back and acknowledgements drain briefly. Answering
  // closes the caller's server transaction and unbinds it from the call (IncomingRequest), so a
  // CANCEL or ACK arriving during the final flush is absorbed by NTA and never reaches a call
  // freed meanwhile; branches still waiting for their 487 go with their call.
  calls_.shutDownAll();
  links_.events->flush();
  releases_.flush();
  auto deadline = clock_.steadyMs() + 1500;
  while (clock_.steadyMs() < deadline &&
         (links_.events->unsent() + links_.limiter->pending() +
          links_.limiter_background->pending() + links_.presence_events->pending() +
          links_.notification_events->pending()) > 0) {
    loop_.step(20);
  }
  log_.info("drained", {});
}

void SipProxy::reply(nta_incoming_t* irq, int status, const char* phrase) {
  nta_incoming_tag(irq, nullptr);  // NTATAG_UA(0) adds no To-tag to our own responses
  nta_incoming_treply(irq, status, phrase, TAG_END());
  nta_incoming_destroy(irq);
}

// ---------------------------------------------------------------------------------------------
// Requests (what reaches a call: admitSource and the edge checks are in sip_edge_admission.cpp)

int SipProxy::onRequest(nta_incoming_t* irq, const sip_t* sip) {
  const char* method_name = sip->sip_request->rq_method_name;
  metrics_.requests(text(method_name)).Increment();
  sip_method_t method = sip->sip_request->rq_method;
  if (sip->sip_cseq &&
      (sip->sip_cseq->cs_method != method ||
       (method == sip_method_unknown && sip->sip_cseq->cs_method_name && method_name &&
        std::strcmp(sip->sip_cseq->cs_method_name, method_name) != 0))) {
    reply(irq, 400, "CSeq method does not match request method");
    return 0;
  }
  // A CANCEL that reaches us matched no server transaction (NTA answers those itself).
  if (method == sip_method_cancel) {
    reply(irq, 481, "Call/Transaction Does Not Exist");
    return 0;
  }
  bool in_dialog = sip->sip_to && sip->sip_to->a_tag;
  url_t const* ruri = sip->sip_request->rq_url;
  if (ruri->url_type != url_sip && ruri->url_type != url_sips) {
    reply(irq, 416, "Unsupported URI Scheme");
    return 0;
  }
  if (sip->sip_proxy_require) {
    // We support no extensions that a proxy must understand (RFC 3261 section 16.3 step 4
    // / 8.2.2.3).
    char unsupported[512] = {0};
    sip_header_field_e(unsupported, sizeof(unsupported),
                       reinterpret_cast<const sip_header_t*>(sip->sip_proxy_require), 0);
    nta_incoming_tag(irq, nullptr);
    nta_incoming_treply(irq, 420, "Bad Extension", SIPTAG_UNSUPPORTED_STR(unsupported), TAG_END());
    nta_incoming_destroy(irq);
    return 0;
  }
  if (in_dialog) {
    handleInDialog(irq, sip);
    return 0;
  }
  switch (method) {
    case sip_method_invite:
      if (!acceptsSdp(sip)) {
        // Every phone we ring answers with SDP; a caller that cannot take it cannot be served.
        nta_incoming_tag(irq, nullptr);
        nta_incoming_treply(irq, 406, "Not Acceptable", SIPTAG_ACCEPT_STR("application/sdp"),
                            TAG_END());
        nta_incoming_destroy(irq);
        return 0;
      }
      handleNewCall(irq, sip, schema::CallKind::VOICE);
      return 0;
    case sip_method_message:
      // Texts to our numbers take the same decision path as calls (no call slot).
      handleNewCall(irq, sip, schema::CallKind::TEXT);
      return 0;
    case sip_method_options:
      // Gateways ping the ingress to see that it is alive (keep-alive), whatever the R-URI user.
      nta_incoming_tag(irq, nullptr);
      nta_incoming_treply(irq, draining_ ? 503 : 200, draining_ ? "Draining" : "OK",
                          SIPTAG_ALLOW_STR(kAllow), TAG_END());
      nta_incoming_destroy(irq);
      return 0;
    case sip_method_bye:
    case sip_method_update:
    case sip_method_info:
    case sip_method_prack:
      reply(irq, 481, "Call/Transaction Does Not Exist");
      return 0;
    case sip_method_unknown:
      reply(irq, 501, "Not Implemented");
      return 0;
    default:
      nta_incoming_tag(irq, nullptr);
      nta_incoming_treply(irq, 405, "Method Not Allowed", SIPTAG_ALLOW_STR(kAllow), TAG_END());
      nta_incoming_destroy(irq);
      return 0;
  }
}

void SipProxy::handleNewCall(nta_incoming_t* irq, const sip_t* sip, schema::CallKind kind) {
  bool voice = kind == schema::CallKind::VOICE;
  std::string call_id = sip->sip_call_id ? text(sip->sip_call_id->i_id) : std::string();
  if (call_id.empty() || !sip->sip_from) {
    reply(irq, 400, call_id.empty() ? "Missing Call-ID" : "Missing From");
    return;
  }
  if (draining_) {
    nta_incoming_tag(irq, nullptr);
    nta_incoming_treply(irq, 503, "Draining", SIPTAG_RETRY_AFTER_STR("5"), TAG_END());
    nta_incoming_destroy(irq);
    return;
  }
  if (calls_.find(call_id)) {
    // Same Call-ID, new transaction, no To-tag: the request looped or was merged (16.3 / 8.2.2.2).
    reply(irq, 482, "Loop Detected");
    return;
  }
  if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0) {
    reply(irq, 483, "Too Many Hops");
    return;
  }
  if (routesElsewhere(hop_, sip)) {
    // A preloaded Route past us (RFC 3261 16.4/16.6 would have us send the request to the host it
    // names): we never relay to a host from a message, and silently dropping the entry would
    // send the request somewhere its sender did not ask for. Refused, as Kamailio's default
    // config does ("Preloaded Route Denied").
    metrics_.blocked("preloaded_route").Increment();
    reply(irq, 403, "Preloaded Route Denied");
    return;
  }
  std::string dialed = userPart(sip->sip_request->rq_url);
  if (dialed.empty()) {
    reply(irq, 404, "Not Found (no number in Request-URI)");
    return;
  }
  std::string agent;  // authenticated by digest (agent_auth_sip.cpp), else ""
  if (!authenticateAgent(irq, sip, agent)) return;
  if (voice) nta_incoming_treply(irq, SIP_100_TRYING, TAG_END());

  CallIdentity id{call_id, dialed, userPart(sip->sip_from->a_url), kind};
  auto sc = std::make_unique<SipCall>(std::move(id), calls_.now(), calls_.defaultMaxDurationS());
  sc->proxy = this;
  // RFC 2543 callers send no From tag (RFC 4475 3.4.1): the dialog is then told by Call-ID alone.
  sc->caller_tag = text(sip->sip_from->a_tag);
  sc->caller_from = headerValue(reinterpret_cast<const sip_header_t*>(sip->sip_from));
  sc->caller_contact = sip->sip_contact ? urlText(sip->sip_contact->m_url) : std::string();
  sc->caller_cseq = sip->sip_cseq ? sip->sip_cseq->cs_seq : 0;
  msg_t* ref = nta_incoming_getrequest(irq);
  bool have_source =
      sourceOf(ref, sc->caller_target, sc->caller_transport, nta_agent_tports(agent_));
  sc->caller_identity_trusted = identityTrusted(ref);
  msg_destroy(ref);
  if (!have_source) {
    nta_incoming_treply(irq, 500, "Cannot Determine Source Address", TAG_END());
    nta_incoming_destroy(irq);
    return;
  }
  if (voice && !offerMedia(*sc, sip)) {
    // fail_mode closed: no call rings without its media anchored (counted as a 503 refusal).
    metrics_.rejected(503).Increment();
    reply(irq, 503, "Service Unavailable (media relay)");
    return;
  }
  sc->irq.reset(irq);
  std::string source = sc->caller_target;
  Call* call = calls_.offer(std::move(sc), numbersOnPath(sip), source);
  if (voice) nta_incoming_bind(irq, ackCancelTrampoline, call);
  RouteHints hints;
  hints.authenticated_agent = std::move(agent);
  for (sip_unknown_t const* u = sip->sip_unknown; u; u = u->un_next) {
    if (!u->un_name || !u->un_value) continue;
    if (strcasecmp(u->un_name, "X-Caller-Zip") == 0) hints.caller_zip = u->un_value;
    if (strcasecmp(u->un_name, "X-Callmesh-Project") == 0) hints.project = u->un_value;
    if (strcasecmp(u->un_name, "X-Callmesh-Last-Outcome") == 0) hints.last_outcome = u->un_value;
  }
  calls_.askLimiterAndRouter(*call, hints);
}

}  // namespace callmesh::ingress
