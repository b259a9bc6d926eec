// routing.yaml `number_caps` and `account_caps` (issue 20): how many simultaneous calls a number
// or a limiter account may hold, changed at run time through the provisioning API. The router
// only checks them; the concurrency-limiter reads them from the active routing document
// (config/runtime_caps.h). seed 004: at most 50 simultaneous inbound calls per company number is
// the default a cap here overrides.

#include "services/router/config_fields.h"
#include "services/router/routing_config_parser.h"

namespace callmesh::router {

namespace {
constexpr int64_t kMaxCap = 100000;  // cluster.yaml's bound on concurrency_limiter caps
}

void RoutingConfigParser::parseNumberCap(YamlMap& m) {
  auto written = m.requiredString("number");
  std::string number = written ? readPhoneNumber(m, "number") : std::string();
  // The limiter keys caps by the E.164 text: a cap written another way would never match.
  if (!number.empty() && *written != number) {
    m.error("number", "write it in E.164 (" + number + ")");
    number.clear();
  }
  auto cap = m.requiredInt("cap", 1, kMaxCap);
  if (number.empty() || !cap) return;
  if (!cfg_.number_caps.emplace(number, static_cast<int>(*cap)).second) {
    m.error("number", number + " has two caps");
  }
}

void RoutingConfigParser::parseAccountCap(YamlMap& m) {
  std::string id = readId(m, cfg_.account_caps, "account cap");
  auto cap = m.requiredInt("cap", 1, kMaxCap);
  if (!id.empty() && cap) cfg_.account_caps.emplace(id, static_cast<int>(*cap));
}

}  // namespace callmesh::router
