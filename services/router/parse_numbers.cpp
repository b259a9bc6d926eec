// routing.yaml `receiving_numbers`, `tracking_numbers` (seed 000) and `crm_numbers` (seed 001):
// the numbers callers dial and the phones they are forwarded to.

#include "services/router/config_fields.h"
#include "services/router/phone_number.h"
#include "services/router/routing_config_parser.h"

namespace callmesh::router {

// A receiving number with its options. `number` and `uri` alone may be repeated identically
// (the original direct-forward format lists them under every tracking number); a number with
// options is defined once and referred to by number elsewhere.
void RoutingConfigParser::parseReceivingNumberDefinition(YamlMap& m) {
  ReceivingNumber rn;
  rn.line = config::lineOf(m.node());
  rn.number = readPhoneNumber(m, "number");
  rn.uri = m.string("uri", "");
  if (!rn.uri.empty() && !isSipUri(rn.uri)) m.error("uri", "must be a sip: or sips: URI");
  if (rn.uri.empty()) {
    if (cfg_.pstn_gateway.empty()) {
      m.error("uri", "is required (or set pstn_gateway to reach numbers through a gateway)");
    } else if (!rn.number.empty()) {
      rn.uri = gatewayUri(rn.number);
    }
  }
  bool plain = true;
  for (auto it = m.node().begin(); it != m.node().end(); ++it) {
    const std::string key = it->first.Scalar();
    if (key != "number" && key != "uri") plain = false;
  }
  rn.extension = m.string("extension", "");
  if (rn.extension.size() > 32 ||
      rn.extension.find_first_not_of("0123456789*#w") != std::string::npos) {
    m.error("extension", "may hold only digits, * and #, and w for a half-second pause (max 32)");
  }
  rn.dial_pause_s = static_cast<int>(m.integer("dial_pause_s", 0, 0, 30));
  if (rn.dial_pause_s > 0 && rn.extension.empty()) {
    m.error("dial_pause_s", "needs an extension to pause before");
  }
  rn.whisper = m.string("whisper", "");
  rn.prevent_recording = m.boolean("prevent_recording", false);
  std::string caller_id = m.string("caller_id", "caller");
  if (caller_id == "caller") {
    rn.caller_id.mode = CallerIdRule::Mode::Caller;
  } else if (caller_id == "tracking_number") {
    rn.caller_id.mode = CallerIdRule::Mode::TrackingNumber;
  } else if (auto e164 = toE164(caller_id); e164.ok()) {
    rn.caller_id.mode = CallerIdRule::Mode::Fixed;
    rn.caller_id.number = e164.value();
  } else {
    m.error("caller_id",
            "must be caller, tracking_number or a phone number (" + e164.error().message + ")");
  }
  rn.agent_id = m.string("agent", "");
  if (!rn.agent_id.empty()) {
    refer(Reference::Kind::Agent, rn.agent_id, lineOf(m, "agent"), m.keyPath("agent"));
  }
  rn.source_tag = m.string("source_tag", "");
  parseScheduledRouting(m, rn);
  parseTaggingHours(m, rn);
  if (m.has("ring_timeout_s")) rn.ring_timeout_ms = timeoutMs(m, 45000);
  m.accept("ring_timeout_s");
  rn.no_answer = destination(m, "no_answer");
  if (rn.number.empty()) return;
  rn_keys_.emplace(rn.number, m.keyPath("number"));
  keys_.emplace("receiving " + rn.number, m.path());
  auto existing = cfg_.receiving_numbers.find(rn.number);
  if (existing != cfg_.receiving_numbers.end()) {
    bool same = plain && plain_.count(rn.number) && existing->second.uri == rn.uri;
    if (!same) {
      m.error("number", "receiving number " + rn.number + " is defined twice (also at line " +
                            std::to_string(existing->second.line) +
                            "); define it once and refer to it by number");
    }
    return;
  }
  if (plain) plain_.insert(rn.number);
  cfg_.receiving_numbers.emplace(rn.number, std::move(rn));
}

void RoutingConfigParser::parseScheduledRouting(YamlMap& m, ReceivingNumber& rn) {
  YAML::Node n = m.child("schedule");
  if (!n.IsDefined() || n.IsNull()) return;
  ScheduledRouting sr;
  if (n.IsScalar()) {
    sr.schedule_id = n.Scalar();
  } else {
    YamlMap s(n, m.keyPath("schedule"), errors_);
    if (auto id = s.requiredString("id")) sr.schedule_id = *id;
    if (auto d = destination(s, "when_closed")) sr.when_closed = *d;
    s.finish();
  }
  refer(Reference::Kind::Schedule, sr.schedule_id, config::lineOf(n), m.keyPath("schedule"));
  rn.schedule = std::move(sr);
}

void RoutingConfigParser::parseTaggingHours(YamlMap& m, ReceivingNumber& rn) {
  YAML::Node n = m.child("tagging_hours");
  if (!n.IsDefined() || n.IsNull()) return;
  YamlMap t(n, m.keyPath("tagging_hours"), errors_);
  TaggingHours th;
  if (auto id = t.requiredString("schedule")) {
    th.schedule_id = *id;
    refer(Reference::Kind::Schedule, *id, lineOf(t, "schedule"), t.keyPath("schedule"));
  }
  th.after_hours_max_duration_s =
      static_cast<int>(t.integer("after_hours_max_duration_s", 0, 0, 86400));
  t.finish();
  rn.tagging_hours = th;
}

// An entry of a receiving-number list: "+1..." or {number} refers; more keys define.
std::string RoutingConfigParser::receivingNumberEntry(const YAML::Node& node,
                                                      const std::string& path) {
  if (node.IsScalar()) {
    auto e164 = toE164(node.Scalar());
    if (!e164.ok()) {
      errors_.add(node, path, e164.error().message);
      return {};
    }
    refer(Reference::Kind::ReceivingNumber, e164.value(), config::lineOf(node), path);
    return e164.value();
  }
  YamlMap m(node, path, errors_);
  if (!m.valid()) return {};
  if (node.size() == 1 && m.has("number")) {
    std::string e164 = readPhoneNumber(m, "number");
    if (!e164.empty()) {
      refer(Reference::Kind::ReceivingNumber, e164, config::lineOf(node), m.keyPath("number"));
    }
    return e164;
  }
  parseReceivingNumberDefinition(m);
  m.finish();
  YAML::Node number = node["number"];
  if (!number.IsDefined() || !number.IsScalar()) return {};
  auto e164 = toE164(number.Scalar());
  return e164.ok() ? e164.value() : std::string();
}

void RoutingConfigParser::parseTrackingNumber(YamlMap& m) {
  TrackingNumber tn;
  tn.line = config::lineOf(m.node());
  tn.number = readPhoneNumber(m, "number");
  tn.ring_timeout_ms = timeoutMs(m, 45000);
  tn.ring_order = readChoice(m, "ring", RingOrder::Together,
                             {{"together", RingOrder::Together}, {"in_order", RingOrder::InOrder}});
  tn.whisper = m.string("whisper", "");
  tn.route = destination(m, "route");
  YAML::Node list = m.child("receiving_numbers");
  bool has_list = list.IsDefined() && !list.IsNull();
  if (has_list && tn.route) {
    m.error("route", "give either receiving_numbers or route, not both");
  } else if (!tn.route && (!has_list || !list.IsSequence() || list.size() == 0)) {
    m.error("receiving_numbers", "must list at least one receiving number");
  } else if (has_list) {
    for (size_t j = 0; j < list.size(); ++j) {
      std::string e164 = receivingNumberEntry(
          list[j], m.keyPath("receiving_numbers") + "[" + std::to_string(j) + "]");
      if (!e164.empty()) tn.receiving_numbers.push_back(e164);
    }
  }
  tn.no_answer = destination(m, "no_answer");
  if (claimInbound(m, tn.number, "tracking number")) {
    keys_["tracking " + tn.number] = m.path();
    cfg_.tracking_numbers.emplace(tn.number, std::move(tn));
  }
}

void RoutingConfigParser::parseCrmNumber(YamlMap& m) {
  CrmNumber crm;
  crm.line = config::lineOf(m.node());
  crm.number = readPhoneNumber(m, "number");
  crm.forwarding_number = readOptionalPhoneNumber(m, "forwarding_number");
  crm.company_phone = readOptionalPhoneNumber(m, "company_phone");
  for (const char* key : {"forwarding_number", "company_phone"}) {
    const std::string& n =
        std::string(key) == "forwarding_number" ? crm.forwarding_number : crm.company_phone;
    if (!n.empty()) refer(Reference::Kind::ReceivingNumber, n, lineOf(m, key), m.keyPath(key));
  }
  crm.ring_timeout_ms = timeoutMs(m, 45000);
  if (claimInbound(m, crm.number, "CRM number")) {
    cfg_.crm_numbers.emplace(crm.number, std::move(crm));
  }
}

}  // namespace callmesh::router
