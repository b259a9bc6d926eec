// routing.yaml `projects`: seed 002, the caller ID of agents' outbound calls.

#include "services/router/config_fields.h"
#include "services/router/phone_number.h"
#include "services/router/routing_config_parser.h"

namespace callmesh::router {

// seed 002: "Number selection logic" of a project's outbound calls.
void RoutingConfigParser::parseProject(YamlMap& m) {
  OutboundProject p;
  p.line = config::lineOf(m.node());
  p.id = readId(m, cfg_.projects, "project");
  if (!p.id.empty() && p.id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789_-.") != std::string::npos) {
    m.error("id",
            "'" + p.id + "' may hold only letters, digits, _ - and . (it names Redis fields)");
    p.id.clear();
  }
  outbound_line_ = outbound_line_ ? outbound_line_ : p.line;
  YAML::Node numbers = m.child("numbers");
  if (!numbers.IsDefined() || !numbers.IsSequence() || numbers.size() == 0) {
    m.error("numbers", "must list at least one outbound number (seed 002)");
  } else {
    for (size_t i = 0; i < numbers.size(); ++i) {
      std::string key = m.keyPath("numbers") + "[" + std::to_string(i) + "]";
      auto e164 = numbers[i].IsScalar() ? toE164(numbers[i].Scalar())
                                        : Result<std::string>(invalidInput("must be a number"));
      if (!e164.ok()) {
        errors_.add(numbers[i], key, e164.error().message);
      } else if (p.hasNumber(e164.value())) {
        errors_.add(numbers[i], key, e164.value() + " is listed twice");
      } else {
        NumberGeography g = geographyOf(e164.value());
        p.numbers.push_back(OutboundNumber{e164.value(), g.region_code, g.area_code});
        cfg_.outbound_numbers.insert(e164.value());
      }
    }
  }
  p.first_call = readChoice(m, "first_call", FirstCallNumber::Random,
                            {{"fixed", FirstCallNumber::Fixed},
                             {"random", FirstCallNumber::Random},
                             {"regional", FirstCallNumber::Regional}});
  p.fixed_number = readOptionalPhoneNumber(m, "fixed_number");
  if (p.first_call == FirstCallNumber::Fixed && p.fixed_number.empty()) {
    m.error("fixed_number", "is required with first_call: fixed");
  } else if (p.first_call != FirstCallNumber::Fixed && !p.fixed_number.empty()) {
    m.error("fixed_number", "is used only with first_call: fixed");
  } else if (!p.fixed_number.empty() && !p.numbers.empty() && !p.hasNumber(p.fixed_number)) {
    m.error("fixed_number", p.fixed_number + " is not one of the project's numbers");
  }
  p.keep_number_with_contact = m.boolean("keep_number_with_contact", false);
  p.agent_number_overrides = m.boolean("agent_number_overrides", false);
  p.ring_timeout_ms = timeoutMs(m, 45000);
  p.pstn_gateway = m.string("pstn_gateway", "");
  if (p.pstn_gateway.find_first_of("@;?<> \"\r\n") != std::string::npos)
    m.error("pstn_gateway", "must be host[:port] or a gateway set name");
  parseDestinationPolicy(m, p.destinations);
  YAML::Node later = m.child("later_attempts");
  if (later.IsDefined() && !later.IsNull()) {
    YamlMap l(later, m.keyPath("later_attempts"), errors_);
    p.later_default = readChoice(l, "default", LaterCallNumber::Random,
                                 {{"random", LaterCallNumber::Random},
                                  {"different_each_attempt", LaterCallNumber::DifferentEachAttempt},
                                  {"regional", LaterCallNumber::Regional}});
    YAML::Node outcomes = l.child("by_outcome");
    if (outcomes.IsDefined() && !outcomes.IsNull()) {
      if (!outcomes.IsMap()) {
        l.error("by_outcome", "must map outcome names to numbers");
      } else {
        // The outcome names are the dialer's, so they are read, not checked against a list; a
        // number the project does not have is accepted and falls back at call time, as seed
        // 002 says of a number "not available to the project any more".
        YamlMap o(outcomes, l.keyPath("by_outcome"), errors_);
        for (auto it = outcomes.begin(); it != outcomes.end(); ++it) {
          std::string name = it->first.Scalar();
          if (std::string n = readPhoneNumber(o, name); !n.empty()) p.by_outcome[name] = n;
        }
        o.finish();
      }
    }
    l.finish();
  }
  if (!p.id.empty()) cfg_.projects.emplace(p.id, std::move(p));
}

// Outbound calls are rung through the PSTN gateway; without one there is nowhere to send them.
void RoutingConfigParser::checkOutboundReachable(YamlMap& top) {
  if (outbound_line_ && cfg_.pstn_gateway.empty()) {
    errors_.addAtLine(outbound_line_, top.keyPath("pstn_gateway"),
                      "is required for outbound calls (projects, agents' outbound_project)");
  }
}

}  // namespace callmesh::router
