#include "services/router/outbound_policy.h"

#include <algorithm>

#include <phonenumbers/phonenumberutil.h>

namespace callmesh::router {

bool Agent::mayCallFor(const std::string& project) const {
  return project == outbound_project ||
         std::find(outbound_projects.begin(), outbound_projects.end(), project) !=
             outbound_projects.end();
}

int countryCodeOf(const std::string& e164) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  PhoneNumber parsed;
  if (PhoneNumberUtil::GetInstance()->Parse(e164, "ZZ", &parsed) !=
      PhoneNumberUtil::NO_PARSING_ERROR) {
    return 0;
  }
  return parsed.country_code();
}

std::optional<DestinationRefusal> refuseDestination(const DestinationPolicy& policy,
                                                    const std::string& e164) {
  for (const std::string& prefix : policy.blocked_prefixes) {
    if (e164.compare(0, prefix.size(), prefix) == 0) {
      return DestinationRefusal{"blocked_prefix", e164 + " starts with blocked prefix " + prefix};
    }
  }
  if (!policy.allowed_country_codes.empty()) {
    int code = countryCodeOf(e164);
    if (policy.allowed_country_codes.count(code) == 0) {
      return DestinationRefusal{"country_not_allowed", "country code +" + std::to_string(code) +
                                                           " of " + e164 + " is not allowed"};
    }
  }
  return std::nullopt;
}

bool OutboundAttempts::admit(const std::string& agent, int cap, int64_t now_ms) {
  if (cap <= 0) return true;
  std::deque<int64_t>& stamps = recent_[agent];
  while (!stamps.empty() && now_ms - stamps.front() >= 60'000) stamps.pop_front();
  if (stamps.size() >= static_cast<size_t>(cap)) return false;
  stamps.push_back(now_ms);
  return true;
}

}  // namespace callmesh::router
