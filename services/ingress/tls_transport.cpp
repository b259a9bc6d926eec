// SIP over TLS (issue 21 item 1): the sips: listener, its certificates re-read when the files
// change, and the bounds on inbound TCP and TLS connections. SipProxy's side, on the su_root
// thread. The certificate handling is in tls_contexts.cpp, the bounds' rules in
// connection_bounds.cpp (deadlines, once a second) and accept_gate.cpp (counts, at accept).
#include <netinet/in.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <sofia-sip/su_strlst.h>

#include <algorithm>

#include "services/ingress/accept_gate.h"
#include "services/ingress/sip_message_class.h"
#include "services/ingress/sip_proxy.h"
#include "services/ingress/stream_sockets.h"
#include "services/ingress/tls_contexts.h"
#include "shared/config/yaml_reader.h"

namespace callmesh::ingress {

Status SipProxy::startTls() {
  const auto& tls = config_.ingress.tls;
  if (tls.port == 0) return {};
  std::string host = config_.ingress.sip_host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  std::string uri = "sips:" + host + ":" + std::to_string(tls.port);
  // sofia reads <dir>/agent.pem and <dir>/cafile.pem when it creates the transport; we set the
  // configured files on its contexts right after (tls_contexts.h says why), so the directory is
  // only where sofia looks first.
  std::string dir = config::directoryOf(tls.cert_file);
  unsigned policy = tls.verify_server ? TPTLS_VERIFY_SUBJECTS_OUT : TPTLS_VERIFY_NONE;
  const auto& bounds = config_.ingress.connections;
  TlsContexts::beginCapture();
  int bound = nta_agent_add_tport(
      agent_, URL_STRING_MAKE(uri.c_str()), TPTAG_CERTIFICATE(dir.c_str()),
      TPTAG_TLS_VERIFY_POLICY(policy), TPTAG_TLS_VERIFY_DEPTH(5),
      TPTAG_IDLE(static_cast<unsigned>(bounds.idle_timeout_s) * 1000u),
      TPTAG_TIMEOUT(static_cast<unsigned>(bounds.message_timeout_ms)), TAG_END());
  tls_contexts_ = TlsContexts::finishCapture();
  if (bound < 0)
    return Error{ErrorKind::Disconnected, "cannot bind SIP over TLS (port in use or bad address)",
                 uri};
  if (tls_contexts_.empty())
    return Error{ErrorKind::Internal, "sofia created no TLS context to set the certificate on",
                 uri};
  if (auto st = applyTlsFiles(tls, tls_contexts_); !st.ok()) return st;
  tls_stamps_ = std::make_unique<FileStamps>(
      std::vector<std::string>{tls.cert_file, tls.key_file, tls.ca_file});
  tls_stamps_->changed();  // records the files as loaded
  setTlsListening(true);
  std::string subjects;
  for (const auto& s : certificateSubjects(tls.cert_file))
    subjects += (subjects.empty() ? "" : ",") + s;
  log_.info("tls_listening", {{"address", uri},
                              {"certificate", tls.cert_file},
                              {"subjects", subjects},
                              {"client_cert", tls.client_cert},
                              {"contexts", static_cast<int64_t>(tls_contexts_.size())}});
  return {};
}

void SipProxy::checkTlsFiles() {
  if (!tls_stamps_ || !tls_stamps_->changed()) return;
  // Kubernetes swaps the Secret's files together; a hand edit may be seen half-way, refused by
  // the key check, and taken at the next change of either file.
  Status st = applyTlsFiles(config_.ingress.tls, tls_contexts_);
  metrics_.tlsReloads(st.ok()).Increment();
  if (st.ok()) {
    std::string subjects;
    for (const auto& s : certificateSubjects(config_.ingress.tls.cert_file))
      subjects += (subjects.empty() ? "" : ",") + s;
    log_.info("tls_reloaded",
              {{"certificate", config_.ingress.tls.cert_file}, {"subjects", subjects}});
  } else {
    log_.error("tls_reload_failed",
               {{"error", st.error().describe()},
                {"effect", std::string("the certificate loaded before stays in use")}});
  }
}

void SipProxy::installAcceptGate() {
  std::vector<int> ports{hop_.port};
  if (hop_.tls_port != 0) ports.push_back(hop_.tls_port);
  std::vector<int> listeners = listeningSockets(ports);
  // Runs inside sofia's accept, on this thread: counted at once, logged by the sweep (a flood
  // would otherwise be a log line per connection).
  AcceptGate::install(listeners, config_.ingress.connections,
                      [this](const std::string& ip, const char* reason) {
                        metrics_.connectionsCut(reason).Increment();
                        ++refused_at_accept_[std::string_view(reason) == "total" ? 1 : 0];
                        last_refused_peer_ = ip;
                      });
  log_.info("connection_bounds", {{"listeners", static_cast<int64_t>(listeners.size())},
                                  {"max_connections", config_.ingress.connections.max_connections},
                                  {"max_connections_per_source",
                                   config_.ingress.connections.max_connections_per_source}});
}

void SipProxy::sweepConnections() {
  std::vector<int> ports{hop_.port};
  if (hop_.tls_port != 0) ports.push_back(hop_.tls_port);
  auto open = inboundConnections(ports);
  metrics_.connections_open.Set(static_cast<double>(open.size()));
  AcceptGate::reconcile(open);
  if (refused_at_accept_[0] + refused_at_accept_[1] > 0) {
    log_.warn("connections_refused", {{"at", std::string("accept")},
                                      {"per_source", static_cast<int64_t>(refused_at_accept_[0])},
                                      {"total", static_cast<int64_t>(refused_at_accept_[1])},
                                      {"last_peer", last_refused_peer_}});
    refused_at_accept_[0] = refused_at_accept_[1] = 0;
  }
  for (const auto& cut : connection_bounds_.sweep(open, clock_.steadyMs())) {
    // Counted first: the peer may look at the metrics the moment its connection ends.
    metrics_.connectionsCut(cut.reason).Increment();
    log_.warn("connection_cut", {{"peer", cut.peer}, {"reason", std::string(cut.reason)}});
    // sofia sees the hang-up on its next poll and frees the transport (and any TLS state).
    ::shutdown(cut.fd, SHUT_RDWR);
  }
}

std::vector<std::string> SipProxy::verifiedSubjects(msg_t* msg) const {
  std::vector<std::string> out;
  tport_t* tports = nta_agent_tports(agent_);
  tport_t* by = tports ? tport_delivered_by(tports, msg) : nullptr;
  // Only a certificate that chained to tls_ca_file names anyone (trunk_book.h).
  if (!by || !tport_has_tls(by) || !tport_is_verified(by)) return out;
  su_strlst_t const* subjects = tport_delivered_from_subjects(by, msg);
  usize_t n = subjects ? su_strlst_len(subjects) : 0;
  for (usize_t i = 0; i < n && i < 32; ++i) {
    const char* s = su_strlst_item(subjects, i);
    if (s) out.emplace_back(s);
  }
  return out;
}

}  // namespace callmesh::ingress
