#include "services/notification/api_json.h"

#include <algorithm>

namespace callmesh::notification {

nlohmann::json recordJson(const NotificationRecord& r) {
  nlohmann::json j = {{"id", r.id},         {"kind", std::string(kindName(r.kind))},
                      {"number", r.number}, {"caller", r.caller},
                      {"rung", r.rung},     {"visible_to", r.visible_to},
                      {"source", r.source}, {"tag", r.tag},
                      {"at_ms", r.at_ms},   {"state", r.claimed ? "claimed" : "unclaimed"}};
  if (r.claimed) {
    j["claimed_by"] = r.claimed_by;
    j["claim_action"] = r.claim_action;
    j["claimed_at_ms"] = r.claimed_at_ms;
  }
  return j;
}

nlohmann::json contactJson(const Contact& c) {
  return {{"id", c.id},
          {"name", c.name},
          {"numbers", c.numbers},
          {"primary_agent", c.primary_agent},
          {"created_at_ms", c.created_at_ms},
          {"source", c.source},
          {"tags", c.tags}};
}

nlohmann::json presenceJson(const AgentPresenceView& p) {
  return {{"agent_id", p.agent_id},
          {"availability", p.availability},
          {"on_call", p.on_call},
          {"ringing", p.ringing},
          {"changed_at_ms", p.changed_at_ms},
          {"idle_since_ms", p.idle_since_ms},
          {"in_working_hours", p.in_working_hours}};
}

Result<nlohmann::json> parseBody(const std::string& body, const std::vector<BodyField>& fields) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    return invalidInput("body is not valid JSON (byte " + std::to_string(e.byte) + ")", "body");
  }
  if (!j.is_object()) return invalidInput("body must be a JSON object", "body");
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const auto& f : fields) known = known || it.key() == f.name;
    if (!known) {
      std::string allowed;
      for (const auto& f : fields) allowed += std::string(allowed.empty() ? "" : ", ") + f.name;
      return invalidInput("unknown field '" + it.key() + "' (allowed: " + allowed + ")", it.key());
    }
  }
  for (const auto& f : fields) {
    if (!j.contains(f.name)) {
      if (f.required)
        return invalidInput(std::string("field '") + f.name + "' is required", f.name);
      continue;
    }
    const auto& v = j[f.name];
    bool ok = false;
    const char* want = "";
    switch (f.type) {
      case BodyField::Type::String:
        ok = v.is_string();
        want = "a string";
        break;
      case BodyField::Type::Bool:
        ok = v.is_boolean();
        want = "true or false";
        break;
      case BodyField::Type::StringList:
        ok = v.is_array();
        for (const auto& x : v) ok = ok && x.is_string();
        want = "a list of strings";
        break;
    }
    if (!ok) return invalidInput(std::string("field '") + f.name + "' must be " + want, f.name);
  }
  return j;
}

std::vector<std::string> stringsOf(const nlohmann::json& list) {
  std::vector<std::string> out;
  for (const auto& x : list) out.push_back(x.get<std::string>());
  return out;
}

bool hasComma(const std::vector<std::string>& items) {
  return std::any_of(items.begin(), items.end(),
                     [](const std::string& s) { return s.find(',') != std::string::npos; });
}

}  // namespace callmesh::notification
