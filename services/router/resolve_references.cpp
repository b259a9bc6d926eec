// After every section is read: each agent, schedule, project, number or destination named must
// exist. A number named but not defined is reached through the PSTN gateway when there is one.

#include "services/router/routing_config_parser.h"

namespace callmesh::router {

bool RoutingConfigParser::destinationExists(Destination::Kind kind, const std::string& ref) const {
  switch (kind) {
    case Destination::Kind::Hangup:
      return true;
    case Destination::Kind::ReceivingNumber:
      return cfg_.receiving_numbers.count(ref) > 0;
    case Destination::Kind::VoiceMenu:
      return cfg_.voice_menus.count(ref) > 0;
    case Destination::Kind::VirtualAgent:
      return cfg_.virtual_agents.count(ref) > 0;
    case Destination::Kind::Queue:
      return cfg_.queues.count(ref) > 0;
    case Destination::Kind::GeoRouter:
      return cfg_.geo_routers.count(ref) > 0;
    case Destination::Kind::Agent:
      return cfg_.agents.count(ref) > 0 && cfg_.agents.at(ref).hasPhone();
  }
  return false;
}

void RoutingConfigParser::resolveReferences() {
  for (const auto& r : refs_) {
    switch (r.kind) {
      case Reference::Kind::Agent:
        if (!cfg_.agents.count(r.ref)) {
          errors_.addAtLine(r.line, r.key, "no agent '" + r.ref + "' in agents");
        }
        break;
      case Reference::Kind::AgentWithPhone:
        if (!cfg_.agents.count(r.ref)) {
          errors_.addAtLine(r.line, r.key, "no agent '" + r.ref + "' in agents");
        } else if (!cfg_.agents.at(r.ref).hasPhone()) {
          errors_.addAtLine(r.line, r.key, "agent '" + r.ref + "' has no number or uri to ring");
        }
        break;
      case Reference::Kind::Schedule:
        if (!cfg_.schedules.count(r.ref)) {
          errors_.addAtLine(r.line, r.key, "no schedule '" + r.ref + "' in schedules");
        }
        break;
      case Reference::Kind::ReceivingNumber:
        resolveReceivingNumber(r.ref, r.line, r.key);
        break;
      case Reference::Kind::Project:
        if (!cfg_.projects.count(r.ref)) {
          errors_.addAtLine(r.line, r.key, "no project '" + r.ref + "' in projects");
        }
        break;
      case Reference::Kind::Destination:
        if (r.destination_kind == Destination::Kind::ReceivingNumber) {
          resolveReceivingNumber(r.ref, r.line, r.key);
        } else if (!destinationExists(r.destination_kind, r.ref)) {
          errors_.addAtLine(
              r.line, r.key,
              std::string("no ") + destinationKindName(r.destination_kind) + " '" + r.ref + "'" +
                  (r.destination_kind == Destination::Kind::Agent ? " with a phone in agents"
                                                                  : ""));
        }
        break;
    }
  }
}

// A number named but not defined is reached through the PSTN gateway when there is one.
void RoutingConfigParser::resolveReceivingNumber(const std::string& e164, int line,
                                                 const std::string& key) {
  if (cfg_.receiving_numbers.count(e164)) return;
  if (auto own = inbound_.find(e164); own != inbound_.end()) {
    errors_.addAtLine(line, key,
                      e164 + " is our own " + own->second +
                          "; ringing it would loop the call back here (seed 003)");
    return;
  }
  if (cfg_.pstn_gateway.empty()) {
    errors_.addAtLine(line, key,
                      "receiving number " + e164 +
                          " is not defined in receiving_numbers (and no pstn_gateway reaches it)");
    return;
  }
  ReceivingNumber rn;
  rn.number = e164;
  rn.uri = gatewayUri(e164);
  rn.line = line;
  rn_keys_.emplace(e164, key);
  cfg_.receiving_numbers.emplace(e164, std::move(rn));
}

}  // namespace callmesh::router
