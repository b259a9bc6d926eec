#include "services/router/router_service.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include <capnp/message.h>

#include "schemas/call.capnp.h"
#include "shared/codec/capnp_codec.h"
#include "shared/config/yaml_reader.h"

namespace callmesh::router {

RouterService::RouterService(std::string routing_file, int decision_reuse_ms,
                             RouterMetrics& metrics, Logger& log, const AgentAvailability& presence,
                             const ContactDirectory& contacts, OutboundHistory& outbound,
                             RandomSource& random)
    : routing_file_(std::move(routing_file)),
      decision_reuse_ms_(static_cast<uint32_t>(std::max(decision_reuse_ms, 0))),
      metrics_(metrics),
      log_(log),
      presence_(presence),
      contacts_(contacts),
      outbound_(outbound),
      random_(random) {}

RouterService::FileVersion RouterService::fileVersion() const {
  struct stat st {};
  if (::stat(routing_file_.c_str(), &st) != 0) return {};
  return FileVersion{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                     static_cast<int64_t>(st.st_size),
                     static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

Status RouterService::loadInitial() {
  if (from_documents_) {
    auto doc = documents_->activeUnless(0);
    if (!doc.ok()) {
      return Error{doc.error().kind, "routing_source redis: " + doc.error().describe(),
                   "router start"};
    }
    if (!doc->has_value()) {
      // A fresh cluster: the file (if any) becomes version 1, unless another replica won.
      if (routing_file_.empty()) {
        return invalidInput(
            "no active routing document in Redis and no router.routing_file to "
            "seed it (import one through POST /v1/admin/routing/activate)",
            "router start");
      }
      auto text = config::readTextFile(routing_file_, "routing config");
      if (!text.ok()) return text.error();
      if (auto cfg = parseRoutingConfig(text.value(), routing_file_); !cfg.ok()) return cfg.error();
      if (auto st = documents_->seed(text.value(), routing_file_); !st.ok()) return st.error();
      doc = documents_->activeUnless(0);
      if (!doc.ok()) return doc.error();
      if (!doc->has_value()) return Error{ErrorKind::Internal, "seeded document vanished"};
    }
    auto cfg = parseRoutingConfig((*doc)->yaml, "routing v" + std::to_string((*doc)->version));
    if (!cfg.ok()) return cfg.error();
    cfg.value().document_version = (*doc)->version;
    install(std::move(cfg.value()));
    return {};
  }
  loaded_version_ = fileVersion();
  auto loaded = loadFile(routing_file_, documents_);
  if (!loaded.config->ok()) return loaded.config->error();
  install(std::move(loaded.config->value()));
  if (!loaded.source_error.empty()) {
    log_.warn("routing_mirror_failed", {{"error", loaded.source_error}});
  }
  return {};
}

bool RouterService::reloadIfChanged(bool force) {
  bool applied = loading_.valid() && finish(loading_.get());
  FileVersion version = fileVersion();
  if (!force && version == loaded_version_) return applied;
  // Remember the version even when it fails to load: a broken file is reported once, not every
  // second, and the next edit (or SIGHUP) tries again.
  loaded_version_ = version;
  return finish(loadFile(routing_file_, documents_));
}

RouterService::LoadOutcome RouterService::loadFile(const std::string& path,
                                                   RoutingDocumentSource* mirror) {
  LoadOutcome out;
  auto text = config::readTextFile(path, "routing config");
  if (!text.ok()) {
    out.config = text.error();
    return out;
  }
  out.config = parseRoutingConfig(text.value(), path);
  // GitOps: a file that loads is what Redis shows the API (read-only there).
  if (mirror && out.config->ok()) {
    if (auto st = mirror->mirror(text.value(), path); !st.ok()) {
      out.source_error = st.error().describe();
    }
  }
  return out;
}

RouterService::LoadOutcome RouterService::loadDocument(RoutingDocumentSource& documents,
                                                       uint64_t loaded, uint64_t rejected) {
  LoadOutcome out;
  auto doc = documents.activeUnless(loaded);
  if (!doc.ok()) {
    out.source_error = doc.error().describe();
    return out;
  }
  if (!doc->has_value() || (*doc)->version == rejected) return out;
  auto cfg = parseRoutingConfig((*doc)->yaml, "routing v" + std::to_string((*doc)->version));
  if (cfg.ok()) cfg.value().document_version = (*doc)->version;
  out.document_version = (*doc)->version;
  out.config = std::move(cfg);
  return out;
}

bool RouterService::pollReload(bool force) {
  if (loading_.valid()) {
    reload_again_ = reload_again_ || force;
    if (loading_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
    return finish(loading_.get());
  }
  if (from_documents_) {
    // Every tick: report the version routed on and fetch the active one if it moved. The
    // activation API waits for these reports, so the poll period is its latency.
    uint64_t loaded = config_ ? config_->document_version : 0;
    loading_ = std::async(std::launch::async, [src = documents_, loaded, r = rejected_version_] {
      return loadDocument(*src, loaded, r);
    });
    return false;
  }
  force = force || std::exchange(reload_again_, false);
  FileVersion version = fileVersion();
  if (!force && version == loaded_version_) return false;
  loaded_version_ = version;
  loading_ = std::async(std::launch::async,
                        [path = routing_file_, src = documents_] { return loadFile(path, src); });
  return false;
}

bool RouterService::finish(LoadOutcome outcome) {
  if (outcome.source_error != last_source_error_) {
    if (!outcome.source_error.empty()) {
      log_.warn("routing_documents_unreachable",
                {{"error", outcome.source_error}, {"kept", "the running config stays active"}});
    } else {
      log_.info("routing_documents_reachable", {});
    }
    last_source_error_ = outcome.source_error;
  }
  if (!outcome.config) return false;
  if (!outcome.config->ok() && from_documents_) {
    // The API validates before activating, so this is a tz database or version skew: report it
    // once, keep routing on the running version and wait for the next one.
    rejected_version_ = outcome.document_version;
  }
  return apply(std::move(*outcome.config));
}

bool RouterService::apply(Result<RoutingConfig> loaded) {
  if (!loaded.ok()) {
    metrics_.reloads_failed.Increment();
    log_.error("config_reload_rejected", {{"file", routing_file_},
                                          {"error", loaded.error().describe()},
                                          {"kept", "previous config stays active"}});
    return false;
  }
  install(std::move(loaded.value()));
  metrics_.reloads_ok.Increment();
  log_.info("config_reloaded",
            {{"source", config_->source_file},
             {"epoch", std::to_string(configEpoch())},
             {"tracking_numbers", static_cast<int64_t>(config_->tracking_numbers.size())}});
  return true;
}

void RouterService::install(RoutingConfig cfg) {
  // Decisions hold their own snapshot: the old config lives until the last one using it is done.
  config_ = std::make_shared<const RoutingConfig>(std::move(cfg));
  metrics_.tracking_numbers.Set(static_cast<double>(config_->tracking_numbers.size()));
  metrics_.config_epoch.Set(static_cast<double>(configEpoch() & ((uint64_t{1} << 52) - 1)));
}

kj::Array<capnp::word> RouterService::notice() const {
  codec::FrameBuilder mb;
  mb.initRoot<schema::RoutingNotice>().setConfigEpoch(configEpoch());
  return codec::encode(mb);
}

Result<std::vector<uint8_t>> RouterService::handle(const zmq::message_t& payload) {
  auto started = std::chrono::steady_clock::now();
  auto decoded =
      codec::decode<schema::RouteRequest>(payload.data(), payload.size(), "RouteRequest");
  if (!decoded.ok()) {
    metrics_.decode_errors.Increment();
    return decoded.error();
  }
  auto req = decoded.value()->root();
  CallQuery q;
  q.call_id = req.getCallId();
  q.dialed = req.getDialed();
  q.caller = req.getCaller();
  q.caller_zip = req.getCallerZip();
  q.received_at_ms = req.getReceivedAtMs();
  for (auto p : req.getPath()) q.path.emplace_back(p);
  q.project = req.getProject();
  q.last_outcome = req.getLastOutcome();
  q.authenticated_agent = req.getAuthenticatedAgent();
  q.require_agent_auth = !req.getAgentAuthOff();

  // Hold the snapshot for the whole decision: a reload swaps the pointer, never the object.
  std::shared_ptr<const RoutingConfig> cfg = config_;
  RoutePlanner planner(*cfg, presence_, contacts_, queue_cursors_, outbound_, random_,
                       &outbound_attempts_);
  RouteOutcome out = planner.decide(q);

  codec::FrameBuilder mb;
  auto d = mb.initRoot<schema::RouteDecision>();
  d.setCallId(q.call_id);
  if (out.reject) {
    auto r = d.initReject();
    r.setStatus(static_cast<uint16_t>(out.status));
    r.setReason(out.reason);
  } else {
    auto plan = d.initRing();
    auto steps = plan.initSteps(static_cast<unsigned>(out.steps.size()));
    for (size_t i = 0; i < out.steps.size(); ++i) {
      const auto& s = out.steps[i];
      steps[i].setTimeoutMs(static_cast<uint32_t>(s.timeout_ms));
      auto targets = steps[i].initTargets(static_cast<unsigned>(s.targets.size()));
      for (size_t j = 0; j < s.targets.size(); ++j) {
        const PlannedTarget& t = s.targets[j];
        targets[j].setUri(t.uri);
        targets[j].setNumber(t.number);
        targets[j].setAgentId(t.agent_id);
        targets[j].setExtensionDigits(t.extension_digits);
        targets[j].setCallerIdNumber(t.caller_id_number);
        targets[j].setWhisper(t.whisper);
        targets[j].setPreventRecording(t.prevent_recording);
      }
    }
    plan.setFinalStatus(static_cast<uint16_t>(out.final_status));
    plan.setFinalReason(out.final_reason);
    plan.setMaxDurationS(static_cast<uint32_t>(out.max_duration_s));
    plan.setSourceTag(out.source_tag);
    plan.setRule(out.rule);
    plan.setNumber(out.number);
    plan.setProject(out.project);
    plan.setOutboundCallee(out.outbound_callee);
  }
  d.setConfigEpoch(epochOf(*cfg));
  if (!out.depends_on_call) d.setReusableForMs(decision_reuse_ms_);
  auto trace = d.initTrace(static_cast<unsigned>(out.trace.size()));
  for (size_t i = 0; i < out.trace.size(); ++i) trace.set(static_cast<unsigned>(i), out.trace[i]);

  metrics_.decision(out.rule, out.reject ? "reject" : "ring").Increment();
  if (!out.caller_id_source.empty()) metrics_.outboundCallerId(out.caller_id_source).Increment();
  if (!out.outbound_refusal.empty()) metrics_.outboundRefused(out.outbound_refusal).Increment();
  if (log_.enabled(LogLevel::Debug)) {
    std::string joined;
    for (const auto& t : out.trace) joined += t + "; ";
    log_.debug("route_decision", {{"call_id", q.call_id}, {"rule", out.rule}, {"trace", joined}});
  }
  auto words = codec::encode(mb);
  auto bytes = words.asBytes();
  metrics_.decision_seconds.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

}  // namespace callmesh::router
