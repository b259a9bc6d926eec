#include "services/ingress/sip_proxy.h"

#include "services/ingress/event_loop_step.h"
#include "services/ingress/name_resolution_guard.h"
#include "services/ingress/sip_inspection.h"
#include "services/ingress/sip_message_class.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include <capnp/message.h>

#include "schemas/call.capnp.h"
#include "schemas/limiter.capnp.h"
#include "shared/codec/capnp_codec.h"
#include "shared/transport/envelope.h"

namespace callmesh::ingress {

namespace {

constexpr int kTickMs = 10;
constexpr const char* kAllow = "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, UPDATE, INFO, PRACK";

std::string text(const char* s) { return s ? std::string(s) : std::string(); }

// The hop a request came from, as a URI we can send to: sip:ip:port;transport=x.
bool sourceOf(msg_t* msg, std::string& target, std::string& transport) {
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
  std::string h = ai->ai_addr->sa_family == AF_INET6 ? "[" + std::string(host) + "]" : host;
  target = "sip:" + h + ":" + std::to_string(port) + ";transport=" + transport;
  return true;
}

std::string endReasonName(schema::EndReason r) {
  switch (r) {
    case schema::EndReason::CALLER_HANGUP:
      return "caller_hangup";
    case schema::EndReason::CALLEE_HANGUP:
      return "callee_hangup";
    case schema::EndReason::CALLER_CANCEL:
      return "caller_cancel";
    case schema::EndReason::REJECTED:
      return "rejected";
    case schema::EndReason::NO_ANSWER:
      return "no_answer";
    case schema::EndReason::BUSY:
      return "busy";
    case schema::EndReason::FAILED:
      return "failed";
    case schema::EndReason::MAX_DURATION:
      return "max_duration";
    case schema::EndReason::INTERNAL_ERROR:
      return "internal_error";
    case schema::EndReason::DELIVERED:
      return "delivered";
  }
  return "unknown";
}

std::vector<uint8_t> toBytes(capnp::MallocMessageBuilder& mb) {
  auto words = codec::encode(mb);
  auto bytes = words.asBytes();
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

std::string makeInstanceId() {
  char host[64] = {0};
  gethostname(host, sizeof(host) - 1);
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return std::string(host) + "-" + std::to_string(getpid()) + "-" + std::to_string(now);
}

}  // namespace

// An in-dialog request (BYE, re-INVITE, UPDATE, INFO, ...) relayed between the two hops of a
// dialog; it lives until its final response is relayed, independently of the Call.
struct SipProxy::InDialogTxn {
  SipProxy* proxy = nullptr;
  nta_incoming_t* irq = nullptr;
  nta_outgoing_t* orq = nullptr;
  std::string call_id;
  bool is_bye = false;
  bool from_caller = false;
};

namespace {

// C trampolines: NTA and su hand back the `void*` magic we registered; each object carries a
// back-pointer to the proxy.
int strayTrampoline(void* self, nta_agent_t*, msg_t* msg, sip_t* sip) {
  return static_cast<SipProxy*>(self)->onStray(msg, sip);
}
void tickTrampoline(void* self, su_timer_t*, void*) { static_cast<SipProxy*>(self)->onTick(); }
int ackCancelTrampoline(void* call, nta_incoming_t* irq, const sip_t* sip) {
  auto* c = static_cast<Call*>(call);
  return c->proxy->onAckOrCancel(c, irq, sip);
}
int branchTrampoline(void* branch, nta_outgoing_t* orq, const sip_t* sip) {
  auto* b = static_cast<Branch*>(branch);
  return b->proxy->onBranchResponse(b, orq, sip);
}
int inDialogTrampoline(void* txn, nta_outgoing_t* orq, const sip_t* sip) {
  auto* t = static_cast<SipProxy::InDialogTxn*>(txn);
  return t->proxy->onInDialogResponse(t, orq, sip);
}
void stepTimerTrampoline(void*, su_timer_t*, void* call) {
  auto* c = static_cast<Call*>(call);
  c->proxy->onStepTimeout(c);
}
void durationTimerTrampoline(void*, su_timer_t*, void* call) {
  auto* c = static_cast<Call*>(call);
  c->proxy->onMaxDuration(c);
}
// A ZeroMQ socket's FD fired: drain that socket only (each drain costs libzmq a poll and a
// getpid, so draining every socket on every wakeup was a large share of per-call CPU).
int zmqWakeup(void*, su_wait_t*, void* client) {
  static_cast<transport::RequestClient*>(client)->onReadable();
  return 0;
}

}  // namespace

SipProxy::SipProxy(const config::ClusterConfig& config, const ClusterPeers& peers,
                   IngressMetrics& metrics, Logger& log, const Clock& clock)
    : config_(config),
      peers_(peers),
      metrics_(metrics),
      log_(log),
      clock_(clock),
      instance_id_(makeInstanceId()),
      sip_port_(config.ingress.sip_port) {
  rr_host_ = config.ingress.record_route_host;
  if (rr_host_.empty()) {
    const char* pod_ip = std::getenv("CALLMESH_POD_IP");
    rr_host_ = (config.ingress.sip_host == "0.0.0.0" && pod_ip) ? pod_ip : config.ingress.sip_host;
  }
  transport::RequestClientOptions ask{config.ingress.request_timeout_ms,
                                      config.ingress.request_attempts, 100000};
  transport::RequestClientOptions background{1000, 10, 100000};
  transport::RequestClientOptions events{1000, 0, 200000};
  auto client = [&](const std::string& endpoint, std::string_view type,
                    transport::RequestClientOptions options) {
    return std::make_unique<transport::RequestClient>(
        zmq_context_, std::vector<std::string>{endpoint}, std::string(type), clock, options);
  };
  router_ = client(peers.router, transport::message_type::kRoute, ask);
  if (!peers.router_notices.empty()) {
    router_notices_ =
        std::make_unique<transport::NoticeSubscriber>(zmq_context_, peers.router_notices);
  }
  limiter_ = client(peers.limiter, transport::message_type::kLimiter, ask);
  limiter_background_ = client(peers.limiter, transport::message_type::kLimiter, background);
  presence_events_ = client(peers.presence, transport::message_type::kCallEvents, events);
  notification_events_ = client(peers.notification, transport::message_type::kCallEvents, events);
  SourceGuardSettings guard_settings{config.ingress.trusted_sources,
                                     static_cast<double>(config.ingress.rate_limit_rps),
                                     static_cast<double>(config.ingress.rate_limit_burst),
                                     static_cast<int64_t>(config.ingress.ban_s) * 1000, 65536};
  auto guard = SourceGuard::create(guard_settings);
  // The CIDRs were validated with the config; a failure here is a bug, not input.
  guard_ = std::make_unique<SourceGuard>(
      guard.ok() ? std::move(guard.value())
                 : SourceGuard::create({{}, 500, 1000, 30000, 65536}).value());
  events_ = std::make_unique<CallEventPublisher>(
      instance_id_, clock,
      std::vector<EventSubscriber>{{presence_events_.get(), false},
                                   {notification_events_.get(), /*follow_ups_only=*/true}});
}

SipProxy::~SipProxy() {
  for (int index : wait_indices_) su_root_deregister(root_, index);
  if (tick_timer_) su_timer_destroy(tick_timer_);
  for (auto& [id, call] : calls_) {
    if (call->step_timer) su_timer_destroy(call->step_timer);
    if (call->duration_timer) su_timer_destroy(call->duration_timer);
  }
  if (agent_) nta_agent_destroy(agent_);
  if (root_) su_root_destroy(root_);
  su_deinit();
}

Status SipProxy::start() {
  su_init();
  std::vector<int> epoll_before = EventLoopStep::epollDescriptors();
  root_ = su_root_create(this);
  if (!root_) return Error{ErrorKind::Internal, "su_root_create failed", "ingress"};
  loop_ = EventLoopStep::forRoot(root_, epoll_before);
  std::string host = config_.ingress.sip_host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  std::string contact = "sip:" + host + ":" + std::to_string(sip_port_);
  agent_ = nta_agent_create(root_, URL_STRING_MAKE(contact.c_str()), strayTrampoline, this,
                            NTATAG_UA(0), NTATAG_SERVER_RPORT(2), NTATAG_TCP_RPORT(1),
                            NTATAG_MAXSIZE(65536), NTATAG_CANCEL_487(1), NTATAG_PASS_100(0),
                            NTATAG_MCLASS(ingressMessageClass()), TAG_END());
  if (!agent_) {
    return Error{ErrorKind::Disconnected, "cannot bind SIP UDP+TCP (port in use or bad address)",
                 contact};
  }
  // No default leg on purpose: requests that match no transaction then come to the agent's
  // message callback (onStray) before NTA creates a transaction, so the source guard runs first.

  // ZeroMQ sockets in sofia's loop: their FDs wake us (edge-triggered, so onTick drains until
  // empty), and a short periodic tick drives retries and catches any edge we raced past.
  for (auto* client : {router_.get(), limiter_.get(), limiter_background_.get(),
                       presence_events_.get(), notification_events_.get()}) {
    su_wait_t w;
    if (su_wait_create(&w, client->fd(), SU_WAIT_IN) == 0) {
      int index = su_root_register(root_, &w, zmqWakeup, client, 0);
      if (index > 0) wait_indices_.push_back(index);
    }
  }
  tick_timer_ = su_timer_create(su_root_task(root_), kTickMs);
  su_timer_set_for_ever(tick_timer_, tickTrampoline, this);
  last_renew_ms_ = clock_.steadyMs();
  ready_ = true;
  log_.info("sip_listening", {{"address", contact},
                              {"record_route", rr_host_},
                              {"instance", instance_id_},
                              {"loop_epoll_fd", static_cast<int64_t>(loop_.epollFd())}});
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
  log_.info("draining", {{"calls", static_cast<int64_t>(calls_.size())},
                         {"drain_timeout_s", config_.ingress.drain_timeout_s}});
  while (clock_.steadyMs() < drain_until && !calls_.empty()) loop_.step(100);
  // Whatever is still up is ended by us: BYE both sides of connected calls, then give every
  // held slot back and let acknowledgements drain briefly.
  for (auto& [id, call] : calls_) {
    if (call->phase == Call::Phase::Answered) {
      sendBye(call.get(), /*to_caller=*/true, "ingress shutting down");
      sendBye(call.get(), /*to_caller=*/false, "ingress shutting down");
    }
    if (call->phase != Call::Phase::Ended)
      endCall(call.get(), schema::EndReason::INTERNAL_ERROR, 503);
  }
  events_->flush();
  flushReleases();
  auto deadline = clock_.steadyMs() + 1500;
  while (clock_.steadyMs() < deadline &&
         (limiter_->pending() + limiter_background_->pending() + presence_events_->pending() +
          notification_events_->pending()) > 0) {
    loop_.step(20);
  }
  log_.info("drained", {});
}

Call* SipProxy::findCall(const std::string& call_id) {
  auto it = calls_.find(call_id);
  return it == calls_.end() ? nullptr : it->second.get();
}

void SipProxy::reply(nta_incoming_t* irq, int status, const char* phrase) {
  nta_incoming_tag(irq, nullptr);  // NTATAG_UA(0) adds no To-tag to our own responses
  nta_incoming_treply(irq, status, phrase, TAG_END());
  nta_incoming_destroy(irq);
}

bool SipProxy::isOurRoute(const url_t* url) const {
  if (!url || !url->url_host) return false;
  std::string host = url->url_host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int port = url->url_port ? std::atoi(url->url_port) : 5060;
  return port == sip_port_ && (host == rr_host_ || host == config_.ingress.sip_host);
}

// ---------------------------------------------------------------------------------------------
// Requests

// Runs before NTA creates any transaction (requests reach us through the agent's message
// callback, there is no default leg): a refused request costs no state and gets no reply, so a
// flood is neither stored nor amplified by retransmitted error responses.
bool SipProxy::admitSource(msg_t* msg, const sip_t* sip) {
  std::string target;
  std::string transport;
  bool known = sourceOf(msg, target, transport);
  std::string ip = known ? hostOfTarget(target) : std::string();
  switch (guard_->check(ip, clock_.steadyMs())) {
    case SourceGuard::Verdict::Allow:
      return true;
    case SourceGuard::Verdict::Untrusted:
      metrics_.blocked("untrusted").Increment();
      if (config_.ingress.reject_untrusted && sip->sip_request->rq_method != sip_method_ack) {
        nta_msg_treply(agent_, msg, 403, "Forbidden (source not trusted)", TAG_END());
      } else {
        nta_msg_discard(agent_, msg);
      }
      return false;
    case SourceGuard::Verdict::RateLimited:
      metrics_.blocked("rate_limited").Increment();
      log_.warn("source_banned", {{"source", ip}, {"ban_s", config_.ingress.ban_s}});
      nta_msg_discard(agent_, msg);
      return false;
    case SourceGuard::Verdict::Banned:
      metrics_.blocked("banned").Increment();
      nta_msg_discard(agent_, msg);
      return false;
  }
  return false;
}

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

// Copies the request for forwarding: pops our own Route entries, checks and decrements
// Max-Forwards, and optionally sets a new Request-URI. Returns null with *error_status set when
// the request must be refused instead.
msg_t* SipProxy::prepareForward(nta_incoming_t* irq, const char* new_request_uri,
                                int* error_status) {
  msg_t* ref = nta_incoming_getrequest(irq);
  msg_t* fwd = msg_copy(ref);
  msg_destroy(ref);
  if (!fwd) {
    *error_status = 500;
    return nullptr;
  }
  sip_t* fsip = sip_object(fwd);
  while (fsip->sip_route && isOurRoute(fsip->sip_route->r_url)) sip_route_remove(fwd, fsip);
  if (fsip->sip_max_forwards) {
    if (fsip->sip_max_forwards->mf_count == 0) {
      msg_destroy(fwd);
      *error_status = 483;
      return nullptr;
    }
    fsip->sip_max_forwards->mf_count--;
    msg_fragment_clear(fsip->sip_max_forwards->mf_common);
  } else {
    sip_add_tl(fwd, fsip, SIPTAG_MAX_FORWARDS_STR("70"), TAG_END());
  }
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

// Record-Route so in-dialog requests come back through us. When the two sides use different
// transports we record-route twice (one entry facing each side), as Kamailio's rr module does.
void SipProxy::insertRecordRoute(msg_t* msg, const std::string& caller_transport,
                                 const std::string& callee_transport) {
  sip_t* fsip = sip_object(msg);
  auto entry = [&](const std::string& transport) {
    std::string host = rr_host_.find(':') != std::string::npos ? "[" + rr_host_ + "]" : rr_host_;
    std::string rr = "<sip:" + host + ":" + std::to_string(sip_port_);
    if (transport == "tcp") rr += ";transport=tcp";
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
  if (findCall(call_id)) {
    // Same Call-ID, new transaction, no To-tag: the request looped or was merged (16.3 / 8.2.2.2).
    reply(irq, 482, "Loop Detected");
    return;
  }
  if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0) {
    reply(irq, 483, "Too Many Hops");
    return;
  }
  std::string dialed = userPart(sip->sip_request->rq_url);
  if (dialed.empty()) {
    reply(irq, 404, "Not Found (no number in Request-URI)");
    return;
  }
  if (voice) nta_incoming_treply(irq, SIP_100_TRYING, TAG_END());

  auto call = std::make_unique<Call>();
  call->proxy = this;
  call->id.call_id = call_id;
  call->id.dialed = dialed;
  call->id.caller = userPart(sip->sip_from->a_url);
  call->id.kind = kind;
  // RFC 2543 callers send no From tag (RFC 4475 3.4.1): the dialog is then told by Call-ID alone.
  call->caller_tag = text(sip->sip_from->a_tag);
  call->caller_from = headerValue(reinterpret_cast<const sip_header_t*>(sip->sip_from));
  call->caller_contact = sip->sip_contact ? urlText(sip->sip_contact->m_url) : std::string();
  call->caller_cseq = sip->sip_cseq ? sip->sip_cseq->cs_seq : 0;
  call->path = numbersOnPath(sip);
  call->irq = irq;
  call->slot_number = dialed;
  call->offered_steady_ms = clock_.steadyMs();
  msg_t* ref = nta_incoming_getrequest(irq);
  bool have_source = sourceOf(ref, call->caller_target, call->caller_transport);
  msg_destroy(ref);
  if (!have_source) {
    nta_incoming_treply(irq, 500, "Cannot Determine Source Address", TAG_END());
    nta_incoming_destroy(irq);
    return;
  }
  Call* c = call.get();
  calls_.emplace(call_id, std::move(call));
  if (voice) {
    nta_incoming_bind(irq, ackCancelTrampoline, c);
    metrics_.calls_offered.Increment();
  } else {
    c->slot_decided = true;  // texts do not count against the call cap
  }
  metrics_.active_calls.Increment();
  log_.info(voice ? "call_offered" : "text_offered", {{"call_id", call_id},
                                                      {"dialed", dialed},
                                                      {"caller", c->id.caller},
                                                      {"source", c->caller_target}});
  askLimiterAndRouter(c, sip);
}

void SipProxy::askLimiterAndRouter(Call* call, const sip_t* sip) {
  if (call->id.kind == schema::CallKind::VOICE) {
    capnp::MallocMessageBuilder mb;
    auto req = mb.initRoot<schema::LimiterRequest>();
    auto a = req.initAcquire();
    a.setNumber(call->slot_number);
    a.setCallId(call->id.call_id);
    // Calls that ended since the last release went out give their slots back ahead of this
    // acquire, in the same request: the count this caller meets holds no call that has ended.
    ReleaseBatch carried = takePendingReleases();
    if (carried) {
      auto list = req.initReleasesFirst(static_cast<unsigned>(carried->size()));
      for (size_t i = 0; i < carried->size(); ++i) {
        list[static_cast<unsigned>(i)].setNumber((*carried)[i].number);
        list[static_cast<unsigned>(i)].setCallId((*carried)[i].call_id);
      }
    }
    std::string call_id = call->id.call_id;
    std::string number = call->slot_number;
    int64_t sent_ms = clock_.steadyMs();
    call->limiter_request = limiter_->request(
        toBytes(mb), [this, call_id, number, sent_ms, carried](Result<zmq::message_t> r) {
          onLimiterReply(call_id, number, sent_ms, carried, std::move(r));
        });
  }
  // A call that came back through us (non-empty path) is always loop-checked by the router.
  if (call->path.empty()) {
    if (auto kept = route_cache_.find(call->id.kind, call->id.dialed, clock_.steadyMs())) {
      metrics_.routeDecision(true, kept->rule).Increment();
      applyRoutePlan(call, std::move(kept));
      return;
    }
  }
  {
    capnp::MallocMessageBuilder mb;
    auto q = mb.initRoot<schema::RouteRequest>();
    q.setCallId(call->id.call_id);
    q.setDialed(call->id.dialed);
    q.setCaller(call->id.caller);
    // Gateway and agent-device hints for the router: an IVR-collected ZIP (geo router, seed 000);
    // the dialer project and the previous call's outcome (outbound caller ID, seed 002).
    for (sip_unknown_t const* u = sip->sip_unknown; u; u = u->un_next) {
      if (!u->un_name || !u->un_value) continue;
      if (strcasecmp(u->un_name, "X-Caller-Zip") == 0) q.setCallerZip(u->un_value);
      if (strcasecmp(u->un_name, "X-Callmesh-Project") == 0) q.setProject(u->un_value);
      if (strcasecmp(u->un_name, "X-Callmesh-Last-Outcome") == 0) q.setLastOutcome(u->un_value);
    }
    q.setReceivedAtMs(clock_.nowMs());
    q.setKind(call->id.kind);
    auto path = q.initPath(static_cast<unsigned>(call->path.size()));
    for (size_t i = 0; i < call->path.size(); ++i)
      path.set(static_cast<unsigned>(i), call->path[i]);
    std::string call_id = call->id.call_id;
    call->router_request = router_->request(toBytes(mb), [this, call_id](Result<zmq::message_t> r) {
      onRouterReply(call_id, std::move(r));
    });
  }
}

void SipProxy::onLimiterReply(const std::string& call_id, const std::string& number,
                              int64_t sent_ms, const ReleaseBatch& carried,
                              Result<zmq::message_t> reply_frame) {
  Call* call = findCall(call_id);
  if (call) {
    metrics_.peerSeconds("limiter").Observe(
        static_cast<double>(clock_.steadyMs() - call->offered_steady_ms) / 1000.0);
  }
  bool granted = false;
  bool failed = true;
  bool near_cap = false;
  std::string why;
  if (reply_frame.ok()) {
    auto decoded = codec::decode<schema::LimiterReply>(reply_frame->data(), reply_frame->size(),
                                                       "LimiterReply");
    if (decoded.ok() && decoded.value()->root().isAcquired()) {
      failed = false;
      auto grant = decoded.value()->root().getAcquired();
      granted = grant.getGranted();
      // Within a fifth of the cap (at least 5 slots): the number is busy enough that a slot
      // freed 10 ms late could turn a caller away.
      uint32_t margin = std::max<uint32_t>(5, grant.getCap() / 5);
      near_cap = grant.getInUse() + margin >= grant.getCap();
    } else if (decoded.ok() && decoded.value()->root().isFailed()) {
      why = decoded.value()->root().getFailed();
    } else {
      why = decoded.ok() ? "unexpected limiter reply" : decoded.error().describe();
    }
  } else {
    why = reply_frame.error().describe();
  }
  // The releases carried by the acquire were applied iff it was decided.
  if (failed && carried) releasesNotConfirmed(carried, why);
  // An answer that took longer than one attempt means the acquire was sent again: copies of it
  // may still be queued at the limiter and take a slot after this answer. A release queued
  // behind them on the same socket frees whatever they take; release is idempotent and frees
  // only this call's slot.
  bool retried = clock_.steadyMs() - sent_ms >= config_.ingress.request_timeout_ms;
  if (!call || call->phase == Call::Phase::Ended) {
    // The caller went away while we asked: give back the slot we were just granted.
    if (retried || failed || granted) queueRelease(number, call_id);
    if (call) call->slot_decided = true;
    return;
  }
  call->slot_decided = true;
  if (failed) {
    // No answer is not "no slot": the limiter may be stalled with our acquire queued and grant
    // it later. A release queued behind it on the same socket frees it.
    queueRelease(number, call_id);
    metrics_.peerErrors("limiter").Increment();
    log_.error("limiter_unavailable", {{"call_id", call_id}, {"error", why}});
    failCall(call, 503, "Service Unavailable (call limiter unreachable)",
             schema::EndReason::INTERNAL_ERROR);
    return;
  }
  if (!granted) {
    if (retried) queueRelease(number, call_id);
    metrics_.cap_rejections.Increment();
    log_.info("call_over_cap", {{"call_id", call_id}, {"number", call->slot_number}});
    failCall(call, 486, "Busy Here", schema::EndReason::REJECTED);
    return;
  }
  call->slot_held = true;
  call->slot_near_cap = near_cap;
  metrics_.held_slots.Increment();
  maybeStartRinging(call);
}

void SipProxy::onRouterReply(const std::string& call_id, Result<zmq::message_t> reply_frame) {
  Call* call = findCall(call_id);
  if (!call || call->phase == Call::Phase::Ended) return;
  metrics_.peerSeconds("router").Observe(
      static_cast<double>(clock_.steadyMs() - call->offered_steady_ms) / 1000.0);
  if (!reply_frame.ok()) {
    metrics_.peerErrors("router").Increment();
    log_.error("router_unavailable",
               {{"call_id", call_id}, {"error", reply_frame.error().describe()}});
    failCall(call, 503, "Service Unavailable (router unreachable)",
             schema::EndReason::INTERNAL_ERROR);
    return;
  }
  auto decoded = decodeRoutePlan(reply_frame->data(), reply_frame->size());
  if (!decoded.ok()) {
    metrics_.peerErrors("router").Increment();
    log_.error("router_reply_invalid",
               {{"call_id", call_id}, {"error", decoded.error().describe()}});
    failCall(call, 500, "Server Internal Error (bad routing decision)",
             schema::EndReason::INTERNAL_ERROR);
    return;
  }
  auto plan = std::make_shared<const RoutePlan>(std::move(decoded.value()));
  metrics_.routeDecision(false, plan->rule).Increment();
  if (call->path.empty()) {
    route_cache_.offer(call->id.kind, call->id.dialed, plan, clock_.steadyMs());
  }
  applyRoutePlan(call, std::move(plan));
}

void SipProxy::applyRoutePlan(Call* call, std::shared_ptr<const RoutePlan> plan) {
  call->route_decided = true;
  call->plan = std::move(plan);
  if (call->plan->reject) {
    failCall(call, call->plan->reject_status, call->plan->reject_reason,
             schema::EndReason::REJECTED);
    return;
  }
  if (call->plan->steps.empty()) {
    failCall(call, 480, "Temporarily Unavailable (no targets)", schema::EndReason::FAILED);
    return;
  }
  maybeStartRinging(call);
}

void SipProxy::readRouterNotices() {
  if (!router_notices_) return;
  auto notice = router_notices_->latest();
  if (!notice) return;
  auto decoded =
      codec::decode<schema::RoutingNotice>(notice->data(), notice->size(), "RoutingNotice");
  if (!decoded.ok()) {
    log_.warn("router_notice_invalid", {{"error", decoded.error().describe()}});
    return;
  }
  route_cache_.heard(decoded.value()->root().getConfigEpoch(), clock_.steadyMs());
}

void SipProxy::maybeStartRinging(Call* call) {
  bool admitted = call->slot_held || call->id.kind == schema::CallKind::TEXT;
  if (!admitted || !call->route_decided || call->phase != Call::Phase::Admitting) return;
  call->phase = Call::Phase::Ringing;
  metrics_.admission_seconds.Observe(
      static_cast<double>(clock_.steadyMs() - call->offered_steady_ms) / 1000.0);
  events_->offered(call->id);
  call->offered_published = true;
  startStep(call, 0);
}

void SipProxy::startStep(Call* call, size_t step) {
  call->current_step = step;
  if (call->step_timer) {
    su_timer_destroy(call->step_timer);
    call->step_timer = nullptr;
  }
  size_t sent = 0;
  for (const auto& target : call->plan->steps[step].targets) {
    if (sendBranch(call, step, target)) ++sent;
  }
  if (sent == 0) {
    // Nothing could be sent in this step: go on at once.
    stepFinishedIfDone(call);
    return;
  }
  if (call->id.kind == schema::CallKind::TEXT) return;  // NTA's timer F bounds a MESSAGE
  // The ring timer starts when the INVITEs go out; provisional responses never disarm it.
  call->step_timer = su_timer_create(
      su_root_task(root_), static_cast<su_duration_t>(call->plan->steps[step].timeout_ms));
  su_timer_set(call->step_timer, stepTimerTrampoline, call);
}

namespace {
// What the router decided for this leg, in headers a media gateway can act on (documented in
// services/ingress/README.md). From is left as the caller sent it so dialog identity holds;
// the presented caller ID goes in P-Asserted-Identity.
void addLegHeaders(msg_t* fwd, const Call& call, const PlanTarget& target) {
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
  if (call.plan->max_duration_s > 0)
    headers.push_back("X-Callmesh-Max-Duration: " + std::to_string(call.plan->max_duration_s));
  if (!call.plan->source_tag.empty())
    headers.push_back("X-Callmesh-Source-Tag: " + headerSafe(call.plan->source_tag));
  // Our number joins the path, so a call that comes back to us is recognised (seed 003).
  std::string path;
  for (const auto& n : call.path) path += headerSafe(n) + ",";
  path += headerSafe(call.plan->number.empty() ? call.id.dialed : call.plan->number);
  // Our own hints never leave towards a carrier or phone: the old path (replaced below) and the
  // agent device's dialer headers (seed 002), which only the router needs.
  for (sip_unknown_t* u = fsip->sip_unknown; u;) {
    sip_unknown_t* next = u->un_next;
    if (u->un_name && (strcasecmp(u->un_name, "X-Callmesh-Path") == 0 ||
                       strcasecmp(u->un_name, "X-Callmesh-Project") == 0 ||
                       strcasecmp(u->un_name, "X-Callmesh-Last-Outcome") == 0)) {
      msg_header_remove(fwd, reinterpret_cast<msg_pub_t*>(fsip),
                        reinterpret_cast<msg_header_t*>(u));
    }
    u = next;
  }
  headers.push_back("X-Callmesh-Path: " + path);
  for (const auto& h : headers) sip_add_tl(fwd, fsip, SIPTAG_HEADER_STR(h.c_str()), TAG_END());
}
}  // namespace

bool SipProxy::sendBranch(Call* call, size_t step, const PlanTarget& target) {
  int error_status = 0;
  msg_t* fwd = prepareForward(call->irq, target.uri.c_str(), &error_status);
  if (!fwd) {
    call->best.add(error_status);
    return false;
  }
  auto branch = std::make_unique<Branch>();
  branch->proxy = this;
  branch->call = call;
  branch->step = step;
  branch->target = target;
  branch->transport = transportOfUri(target.uri);
  if (call->id.kind == schema::CallKind::VOICE)
    insertRecordRoute(fwd, call->caller_transport, branch->transport);
  addLegHeaders(fwd, *call, target);
  // The route URL is the configured target itself: the next hop is never taken from the message.
  // Its host joins the resolver's allow-list once (the list is process-wide and locked).
  if (allowed_target_hosts_.insert(hostOf(target.uri)).second)
    allowNameResolution({hostOf(target.uri)});
  branch->orq = nta_outgoing_mcreate(agent_, branchTrampoline, branch.get(),
                                     URL_STRING_MAKE(target.uri.c_str()), fwd, TAG_END());
  if (!branch->orq) {
    msg_destroy(fwd);
    call->best.add(503);
    log_.warn("branch_send_failed", {{"call_id", call->id.call_id}, {"target", target.uri}});
    return false;
  }
  metrics_.branches_started.Increment();
  log_.info("branch_started", {{"call_id", call->id.call_id},
                               {"target", target.uri},
                               {"step", static_cast<int64_t>(step)}});
  call->branches.push_back(std::move(branch));
  return true;
}

int SipProxy::onBranchResponse(Branch* branch, nta_outgoing_t* orq, const sip_t* sip) {
  Call* call = branch->call;
  int status = nta_outgoing_status(orq);
  if (status < 200) {
    if (status > 100 && call->phase == Call::Phase::Ringing && call->irq) {
      // 180/183: the caller hears ringing (or early media) until someone answers (seed 003).
      msg_t* out = msg_copy(nta_outgoing_getresponse(orq));
      if (out) {
        sip_via_remove(out, sip_object(out));
        nta_incoming_mreply(call->irq, out);
      }
      if (!branch->provisional) {
        branch->provisional = true;
        events_->legRinging(call->id, branch->target.leg);
      }
    }
    return 0;
  }
  branch->final = true;
  if (status < 300 && call->id.kind == schema::CallKind::TEXT) {
    relayFinalToCaller(call, msg_copy(nta_outgoing_getresponse(orq)));
    call->answered = branch;
    endCall(call, schema::EndReason::DELIVERED, status);
  } else if (status < 300) {
    if (call->phase == Call::Phase::Ringing) {
      answerCall(call, branch, orq);
    } else {
      // A second 2xx after another branch won (or after the caller gave up): ACK and BYE it so
      // the callee does not sit in a dead call (RFC 3261 16.7 allows only one winner upstream).
      msg_t* late = msg_copy(nta_outgoing_getresponse(orq));
      if (late) nta_msg_ackbye(agent_, late);
      log_.info("late_answer_hung_up",
                {{"call_id", call->id.call_id}, {"target", branch->target.uri}});
    }
  } else {
    bool ours = branch->cancelled_by_us && status == 487;
    if (!ours) {
      call->best.add(status);
      std::string reason = sip && sip->sip_status ? text(sip->sip_status->st_phrase) : "";
      events_->legFailed(call->id, branch->target.leg, status, reason);
      log_.info(
          "branch_failed",
          {{"call_id", call->id.call_id}, {"target", branch->target.uri}, {"status", status}});
    }
    if (call->phase == Call::Phase::Ringing && branch->step == call->current_step)
      stepFinishedIfDone(call);
  }
  nta_outgoing_destroy(orq);
  branch->orq = nullptr;
  reapIfDone(call);
  return 0;
}

void SipProxy::stepFinishedIfDone(Call* call) {
  if (call->phase != Call::Phase::Ringing) return;
  for (const auto& b : call->branches) {
    if (b->step == call->current_step && !b->final && !b->cancelled_by_us) return;
  }
  if (call->step_timer) {
    su_timer_destroy(call->step_timer);
    call->step_timer = nullptr;
  }
  // A 6xx ends the search (RFC 3261 16.7: a global failure); otherwise the next step rings at once.
  bool global_failure = call->best.status() >= 600;
  if (!global_failure && call->current_step + 1 < call->plan->steps.size()) {
    startStep(call, call->current_step + 1);
    return;
  }
  const RoutePlan& plan = *call->plan;
  int status = plan.final_status ? plan.final_status : call->best.status();
  std::string reason = plan.final_status
                           ? (plan.final_reason.empty() ? "Call Failed" : plan.final_reason)
                           : call->best.reason();
  schema::EndReason why = schema::EndReason::FAILED;
  if (call->best.status() == 480) why = schema::EndReason::NO_ANSWER;
  if (call->best.status() == 486 || call->best.status() == 600) why = schema::EndReason::BUSY;
  failCall(call, status, reason, why);
}

void SipProxy::onStepTimeout(Call* call) {
  if (call->step_timer) {
    su_timer_destroy(call->step_timer);
    call->step_timer = nullptr;
  }
  if (call->phase != Call::Phase::Ringing) return;
  log_.info("ring_timeout",
            {{"call_id", call->id.call_id}, {"step", static_cast<int64_t>(call->current_step)}});
  for (auto& b : call->branches) {
    if (b->step == call->current_step && !b->final && !b->cancelled_by_us) {
      b->cancelled_by_us = true;
      call->best.addNoAnswer();
      events_->legFailed(call->id, b->target.leg, 408, "ring timeout");
      if (b->orq) nta_outgoing_cancel(b->orq);
    }
  }
  stepFinishedIfDone(call);
}

void SipProxy::cancelBranches(Call* call, Branch* except) {
  for (auto& b : call->branches) {
    if (b.get() == except || b->final || b->cancelled_by_us) continue;
    b->cancelled_by_us = true;
    if (b->orq) nta_outgoing_cancel(b->orq);
  }
}

// Relays a branch's final response to the caller (our Via removed) and closes the caller's
// server transaction; NTA keeps absorbing retransmissions. Takes ownership of `out`.
void SipProxy::relayFinalToCaller(Call* call, msg_t* out) {
  if (out && call->irq) {
    sip_via_remove(out, sip_object(out));
    nta_incoming_mreply(call->irq, out);
  } else if (out) {
    msg_destroy(out);
  }
  if (call->irq) {
    nta_incoming_destroy(call->irq);
    call->irq = nullptr;
  }
}

void SipProxy::answerCall(Call* call, Branch* branch, nta_outgoing_t* orq) {
  call->phase = Call::Phase::Answered;
  call->answered = branch;
  call->answered_steady_ms = clock_.steadyMs();
  if (call->step_timer) {
    su_timer_destroy(call->step_timer);
    call->step_timer = nullptr;
  }
  cancelBranches(call, branch);  // first 2xx wins; the other phones stop ringing
  msg_t* out = msg_copy(nta_outgoing_getresponse(orq));
  if (out) {
    sip_t* rsip = sip_object(out);
    call->callee_to = headerValue(reinterpret_cast<const sip_header_t*>(rsip->sip_to));
    call->callee_contact =
        rsip->sip_contact ? urlText(rsip->sip_contact->m_url) : branch->target.uri;
  }
  relayFinalToCaller(call, out);
  int max_s =
      call->plan->max_duration_s ? call->plan->max_duration_s : config_.ingress.max_call_duration_s;
  call->duration_timer =
      su_timer_create(su_root_task(root_), static_cast<su_duration_t>(max_s) * 1000);
  su_timer_set(call->duration_timer, durationTimerTrampoline, call);
  metrics_.calls_answered.Increment();
  metrics_.setup_seconds.Observe(
      static_cast<double>(call->answered_steady_ms - call->offered_steady_ms) / 1000.0);
  events_->answered(call->id, branch->target.leg);
  log_.info("call_answered", {{"call_id", call->id.call_id},
                              {"target", branch->target.uri},
                              {"agent_id", branch->target.leg.agent_id}});
}

void SipProxy::failCall(Call* call, int status, const std::string& reason, schema::EndReason why) {
  if (call->phase == Call::Phase::Ended) return;
  if (call->irq) {
    nta_incoming_tag(call->irq, nullptr);
    nta_incoming_treply(call->irq, status, reason.c_str(), TAG_END());
    nta_incoming_destroy(call->irq);
    call->irq = nullptr;
  }
  if (why == schema::EndReason::REJECTED || why == schema::EndReason::INTERNAL_ERROR) {
    metrics_.rejected(status).Increment();
  }
  log_.info("call_failed", {{"call_id", call->id.call_id}, {"status", status}, {"reason", reason}});
  endCall(call, why, status);
}

void SipProxy::onMaxDuration(Call* call) {
  if (call->duration_timer) {
    su_timer_destroy(call->duration_timer);
    call->duration_timer = nullptr;
  }
  if (call->phase != Call::Phase::Answered) return;
  log_.info("call_max_duration", {{"call_id", call->id.call_id}});
  // seed 000 (after-hours time limit): the proxy ends the call itself, towards both sides.
  sendBye(call, /*to_caller=*/true, "call time limit");
  sendBye(call, /*to_caller=*/false, "call time limit");
  endCall(call, schema::EndReason::MAX_DURATION, 200);
}

namespace {
int byeTrampoline(void* self, nta_outgoing_t* orq, const sip_t*) {
  return static_cast<SipProxy*>(self)->onByeResponse(orq);
}
}  // namespace

// A BYE the proxy originates, as if from the other side of the dialog: From/To swapped as that
// side would send them, the next CSeq of that side, sent to the hop we know (never a host
// from the message).
void SipProxy::sendBye(Call* call, bool to_caller, const char* reason) {
  if (!call->answered) return;
  const std::string& request_uri = to_caller ? call->caller_contact : call->callee_contact;
  const std::string& next_hop = to_caller ? call->caller_target : call->answered->target.uri;
  std::string from = to_caller ? call->callee_to : call->caller_from;
  std::string to = to_caller ? call->caller_from : call->callee_to;
  uint32_t cseq = to_caller ? ++call->callee_cseq : ++call->caller_cseq;
  if (request_uri.empty() || from.empty() || to.empty()) return;
  msg_t* msg = nta_msg_create(agent_, 0);
  sip_t* bsip = sip_object(msg);
  std::string rq = "BYE " + request_uri + " SIP/2.0";
  std::string cs = std::to_string(cseq) + " BYE";
  std::string why = std::string("SIP;cause=200;text=\"") + reason + "\"";
  if (sip_add_tl(msg, bsip, SIPTAG_REQUEST_STR(rq.c_str()), SIPTAG_FROM_STR(from.c_str()),
                 SIPTAG_TO_STR(to.c_str()), SIPTAG_CALL_ID_STR(call->id.call_id.c_str()),
                 SIPTAG_CSEQ_STR(cs.c_str()), SIPTAG_MAX_FORWARDS_STR("70"),
                 SIPTAG_REASON_STR(why.c_str()), TAG_END()) < 0) {
    msg_destroy(msg);
    return;
  }
  nta_outgoing_t* orq = nta_outgoing_mcreate(agent_, byeTrampoline, this,
                                             URL_STRING_MAKE(next_hop.c_str()), msg, TAG_END());
  if (!orq) msg_destroy(msg);
}

int SipProxy::onByeResponse(nta_outgoing_t* orq) {
  if (nta_outgoing_status(orq) >= 200) nta_outgoing_destroy(orq);
  return 0;
}

void SipProxy::endCall(Call* call, schema::EndReason why, int status) {
  if (call->phase == Call::Phase::Ended) return;
  bool was_answered = call->answered != nullptr;
  call->phase = Call::Phase::Ended;
  if (call->step_timer) {
    su_timer_destroy(call->step_timer);
    call->step_timer = nullptr;
  }
  if (call->duration_timer) {
    su_timer_destroy(call->duration_timer);
    call->duration_timer = nullptr;
  }
  cancelBranches(call, call->answered);
  if (call->router_request && !call->route_decided) router_->cancel(call->router_request);
  releaseSlot(call);
  metrics_.ended(endReasonName(why)).Increment();
  metrics_.active_calls.Decrement();
  int64_t now = clock_.steadyMs();
  if (!call->ended_published) {
    call->ended_published = true;
    CallEndInfo end;
    end.answered = was_answered;
    if (was_answered) end.answered_by = call->answered->target.leg;
    end.reason = why;
    end.status = status;
    end.duration_ms = now - call->offered_steady_ms;
    end.talk_ms = was_answered ? now - call->answered_steady_ms : 0;
    for (const auto& b : call->branches) end.rung_legs.push_back(b->target.leg);
    bool routed = call->plan && !call->plan->reject;
    end.number = routed && !call->plan->number.empty() ? call->plan->number : call->id.dialed;
    end.rule = routed ? call->plan->rule : std::string();
    // Calls refused before ringing were never offered to anyone: no lifecycle to close.
    if (call->offered_published) events_->ended(call->id, end);
  }
  log_.info("call_ended", {{"call_id", call->id.call_id},
                           {"reason", endReasonName(why)},
                           {"status", status},
                           {"duration_ms", now - call->offered_steady_ms}});
  reapIfDone(call);
}

void SipProxy::releaseSlot(Call* call) {
  if (!call->slot_held) return;
  call->slot_held = false;
  metrics_.held_slots.Decrement();
  queueRelease(call->slot_number, call->id.call_id);
  if (call->slot_near_cap) flushReleases();
}

void SipProxy::queueRelease(const std::string& number, const std::string& call_id) {
  pending_releases_.push_back({number, call_id, clock_.steadyMs() + config_.limiter.lease_ms});
}

SipProxy::ReleaseBatch SipProxy::takePendingReleases() {
  if (pending_releases_.empty()) return nullptr;
  auto batch = std::make_shared<std::vector<PendingRelease>>(std::move(pending_releases_));
  pending_releases_.clear();
  return batch;
}

void SipProxy::releasesNotConfirmed(const ReleaseBatch& batch, const std::string& error) {
  metrics_.peerErrors("limiter").Increment();
  log_.warn("slot_release_failed", {{"calls", static_cast<int64_t>(batch->size())},
                                    {"error", error},
                                    {"fallback", "retry every 500 ms, then lease expiry"}});
  retry_releases_.insert(retry_releases_.end(), batch->begin(), batch->end());
}

// Slots of ended calls go back with the next acquire, or at the latest in this tick's batch: a
// slot freed up to one tick (10 ms) late costs nothing a caller can notice, and one request per
// tick instead of one per call saves a ZeroMQ round trip and a Redis round trip per call.
// Slots the limiter could not free (it answers `failed` while Redis is down) are tried again
// every 500 ms until their lease would have expired anyway.
void SipProxy::flushReleases() {
  int64_t now = clock_.steadyMs();
  if (!retry_releases_.empty() && now >= next_release_retry_ms_) {
    for (auto& r : retry_releases_)
      if (r.give_up_at_ms > now) pending_releases_.push_back(std::move(r));
    retry_releases_.clear();
    next_release_retry_ms_ = now + 500;
  }
  ReleaseBatch batch = takePendingReleases();
  if (!batch) return;
  capnp::MallocMessageBuilder mb;
  auto list =
      mb.initRoot<schema::LimiterRequest>().initReleaseBatch(static_cast<unsigned>(batch->size()));
  for (size_t i = 0; i < batch->size(); ++i) {
    list[static_cast<unsigned>(i)].setNumber((*batch)[i].number);
    list[static_cast<unsigned>(i)].setCallId((*batch)[i].call_id);
  }
  limiter_->request(toBytes(mb), [this, batch](Result<zmq::message_t> res) {
    std::string error;
    if (!res.ok()) {
      error = res.error().describe();
    } else {
      auto decoded = codec::decode<schema::LimiterReply>(res->data(), res->size(), "LimiterReply");
      if (!decoded.ok()) {
        error = decoded.error().describe();
      } else if (decoded.value()->root().isFailed()) {
        error = decoded.value()->root().getFailed();
      }
    }
    if (!error.empty()) releasesNotConfirmed(batch, error);
  });
}

void SipProxy::renewSlots() {
  capnp::MallocMessageBuilder mb;
  std::vector<Call*> holders;
  for (auto& [id, call] : calls_) {
    if (call->slot_held) holders.push_back(call.get());
  }
  if (holders.empty()) return;
  auto list =
      mb.initRoot<schema::LimiterRequest>().initRenew(static_cast<unsigned>(holders.size()));
  for (size_t i = 0; i < holders.size(); ++i) {
    list[static_cast<unsigned>(i)].setNumber(holders[i]->slot_number);
    list[static_cast<unsigned>(i)].setCallId(holders[i]->id.call_id);
  }
  limiter_background_->request(toBytes(mb), [this](Result<zmq::message_t> res) {
    if (!res.ok()) {
      metrics_.peerErrors("limiter").Increment();
      log_.warn("slot_renew_failed", {{"error", res.error().describe()}});
    }
  });
}

void SipProxy::reapIfDone(Call* call) {
  if (call->phase != Call::Phase::Ended) return;
  for (const auto& b : call->branches) {
    if (b->orq) return;  // a branch still waits for its final response (e.g. 487 to our CANCEL)
  }
  auto it = calls_.find(call->id.call_id);
  if (it == calls_.end() || it->second.get() != call) return;
  graveyard_.push_back(std::move(it->second));
  calls_.erase(it);
}

int SipProxy::onAckOrCancel(Call* call, nta_incoming_t* irq, const sip_t* sip) {
  (void)irq;
  if (sip && sip->sip_request && sip->sip_request->rq_method == sip_method_cancel) {
    // NTA already answered 200 to the CANCEL and 487 to the INVITE; stop every branch.
    if (call->irq) {
      nta_incoming_destroy(call->irq);
      call->irq = nullptr;
    }
    log_.info("call_cancelled", {{"call_id", call->id.call_id}});
    endCall(call, schema::EndReason::CALLER_CANCEL, 487);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Dialogs

void SipProxy::forwardAck(msg_t* msg, sip_t* sip) {
  // ACK for a 2xx is end-to-end: relay it statelessly to the other side of the dialog.
  std::string call_id = sip->sip_call_id ? text(sip->sip_call_id->i_id) : "";
  Call* call = findCall(call_id);
  if (!call || !call->answered || call->phase != Call::Phase::Answered) {
    metrics_.dropped_requests.Increment();
    nta_msg_discard(agent_, msg);
    return;
  }
  bool from_caller = sip->sip_from && call->caller_tag == text(sip->sip_from->a_tag);
  const std::string& next_hop = from_caller ? call->answered->target.uri : call->caller_target;
  while (sip->sip_route && isOurRoute(sip->sip_route->r_url)) sip_route_remove(msg, sip);
  if (sip->sip_max_forwards) {
    if (sip->sip_max_forwards->mf_count == 0) {
      nta_msg_discard(agent_, msg);
      return;
    }
    sip->sip_max_forwards->mf_count--;
    msg_fragment_clear(sip->sip_max_forwards->mf_common);
  }
  nta_msg_tsend(agent_, msg, URL_STRING_MAKE(next_hop.c_str()), TAG_END());
}

void SipProxy::handleInDialog(nta_incoming_t* irq, const sip_t* sip) {
  std::string call_id = sip->sip_call_id ? text(sip->sip_call_id->i_id) : "";
  Call* call = findCall(call_id);
  if (!call || call->phase != Call::Phase::Answered || !call->answered) {
    metrics_.dropped_requests.Increment();
    reply(irq, 481, "Call/Transaction Does Not Exist");
    return;
  }
  bool from_caller =
      sip->sip_from && sip->sip_from->a_tag && call->caller_tag == sip->sip_from->a_tag;
  // Only the two known hops of this dialog are ever destinations.
  const std::string& next_hop = from_caller ? call->answered->target.uri : call->caller_target;
  int error_status = 0;
  msg_t* fwd = prepareForward(irq, nullptr, &error_status);
  if (!fwd) {
    reply(irq, error_status, error_status == 483 ? "Too Many Hops" : "Server Internal Error");
    return;
  }
  auto* txn = new InDialogTxn();
  txn->proxy = this;
  txn->irq = irq;
  txn->call_id = call_id;
  txn->from_caller = from_caller;
  txn->is_bye = sip->sip_request->rq_method == sip_method_bye;
  txn->orq = nta_outgoing_mcreate(agent_, inDialogTrampoline, txn,
                                  URL_STRING_MAKE(next_hop.c_str()), fwd, TAG_END());
  if (!txn->orq) {
    msg_destroy(fwd);
    delete txn;
    reply(irq, 503, "Service Unavailable (cannot reach next hop)");
    return;
  }
  txns_.insert(txn);
  if (txn->is_bye) {
    // The dialog is over for us as soon as either side says BYE; the BYE itself is still relayed.
    endCall(call, from_caller ? schema::EndReason::CALLER_HANGUP : schema::EndReason::CALLEE_HANGUP,
            200);
  }
}

int SipProxy::onInDialogResponse(InDialogTxn* txn, nta_outgoing_t* orq, const sip_t*) {
  int status = nta_outgoing_status(orq);
  if (status == 100) return 0;
  msg_t* out = msg_copy(nta_outgoing_getresponse(orq));
  if (out) {
    sip_via_remove(out, sip_object(out));
    nta_incoming_mreply(txn->irq, out);
  }
  if (status >= 200) {
    nta_incoming_destroy(txn->irq);
    nta_outgoing_destroy(orq);
    txns_.erase(txn);
    delete txn;
  }
  return 0;
}

int SipProxy::onStray(msg_t* msg, sip_t* sip) {
  if (sip && sip->sip_request) {
    // A request that matched no transaction: guard it, relay a 2xx ACK statelessly, or make a
    // server transaction for it and handle it.
    if (!admitSource(msg, sip)) return 0;
    if (sip->sip_request->rq_method == sip_method_ack) {
      metrics_.requests("ACK").Increment();
      forwardAck(msg, sip);
      return 0;
    }
    nta_incoming_t* irq = nta_incoming_create(agent_, nullptr, msg, sip, TAG_END());
    if (!irq) {
      nta_msg_discard(agent_, msg);
      return 0;
    }
    return onRequest(irq, sip);
  }
  // A 2xx retransmission after its client transaction ended: relay it if it belongs to a
  // dialog we answered, so a lost 200 still reaches the caller; anything else is dropped
  // (e.g. a response naming a broadcast address in its Via, RFC 4475 3.3.10).
  if (sip && sip->sip_status && sip->sip_status->st_status >= 200 &&
      sip->sip_status->st_status < 300 && sip->sip_cseq &&
      sip->sip_cseq->cs_method == sip_method_invite && sip->sip_call_id) {
    Call* call = findCall(text(sip->sip_call_id->i_id));
    if (call && call->phase == Call::Phase::Answered && sip->sip_via && sip->sip_via->v_next) {
      sip_via_remove(msg, sip);
      nta_msg_tsend(agent_, msg, URL_STRING_MAKE(call->caller_target.c_str()), TAG_END());
      return 0;
    }
  }
  metrics_.dropped_requests.Increment();
  nta_msg_discard(agent_, msg);
  return 0;
}

void SipProxy::onTick() {
  ++ticks_;
  // Events wait for one batch per event_flush_ms: every batch costs each receiver a wakeup and a
  // Redis round trip however many calls it carries. Releases no acquire has carried go every
  // tick: a slot held longer than its call is a slot another caller may be refused (486) at the
  // cap.
  if (clock_.steadyMs() - last_flush_ms_ >= config_.ingress.event_flush_ms) {
    last_flush_ms_ = clock_.steadyMs();
    events_->flush();
  }
  flushReleases();
  readRouterNotices();
  for (auto* c : {router_.get(), limiter_.get(), limiter_background_.get(), presence_events_.get(),
                  notification_events_.get()}) {
    if (c->pending() > 0) c->onTick();  // retries and expiries; no libzmq call unless it re-sends
    // A send may have consumed ZMQ_FD's edge: drain sockets that sent since their last drain,
    // and every socket once a second as a safety net.
    if (c->needsDrain() || ticks_ % 100 == 0) c->onReadable();
  }
  graveyard_.clear();
  uint64_t refused = refusedNameLookups();
  if (refused > refused_lookups_reported_) {
    metrics_.refused_name_lookups.Increment(
        static_cast<double>(refused - refused_lookups_reported_));
    refused_lookups_reported_ = refused;
  }
  int64_t now = clock_.steadyMs();
  if (now - last_renew_ms_ >= config_.ingress.lease_renew_ms) {
    last_renew_ms_ = now;
    renewSlots();
  }
  // Unacknowledged events: collected and not yet flushed, or sent and not yet acknowledged.
  metrics_.events_pending.Set(static_cast<double>(events_->unsent() + presence_events_->pending() +
                                                  notification_events_->pending()));
  if (events_->dropped() > events_dropped_reported_) {
    metrics_.events_dropped.Increment(
        static_cast<double>(events_->dropped() - events_dropped_reported_));
    events_dropped_reported_ = events_->dropped();
  }
}

}  // namespace callmesh::ingress
