#include "services/notification/number_settings.h"

#include <algorithm>

#include "services/notification/notification_store.h"

namespace callmesh::notification {

Result<config::CompanyNumberSettings> NumberSettingsBook::effective(const std::string& number) {
  auto r = redis_.command({"HGETALL", key(number)});
  if (!r.ok()) return r.error();
  if (r->type == redis::RedisReply::Type::Array && !r->elements.empty()) {
    config::CompanyNumberSettings s;
    for (size_t k = 0; k + 1 < r->elements.size(); k += 2) {
      const std::string& f = r->elements[k].text;
      const std::string& v = r->elements[k + 1].text;
      if (f == "source")
        s.source = v;
      else if (f == "tag")
        s.tag = v;
      else if (f == "selected_agents")
        s.selected_agents = splitList(v);
    }
    return s;
  }
  auto it = configured_.find(number);
  if (it == configured_.end()) return config::CompanyNumberSettings{};
  return it->second;
}

Status NumberSettingsBook::set(const std::string& number, const config::CompanyNumberSettings& s,
                               const std::string& by, int64_t at_ms) {
  auto r = redis_.command({"HSET", key(number), "source", s.source, "tag", s.tag, "selected_agents",
                           joinList(s.selected_agents), "updated_by", by, "updated_at_ms",
                           std::to_string(at_ms)});
  if (!r.ok()) return r.error();
  if (r->type == redis::RedisReply::Type::Error) {
    return Error{ErrorKind::Internal, r->text, "number settings " + number};
  }
  return {};
}

Result<std::vector<std::string>> NumberSettingsBook::numbers() {
  std::vector<std::string> out;
  for (const auto& [n, s] : configured_) out.push_back(n);
  std::string cursor = "0";
  do {
    auto r = redis_.command({"SCAN", cursor, "MATCH", "cm:number:{*}:settings", "COUNT", "500"});
    if (!r.ok()) return r.error();
    if (r->type != redis::RedisReply::Type::Array || r->elements.size() != 2) break;
    cursor = r->elements[0].text;
    for (const auto& k : r->elements[1].elements) {
      const std::string& key = k.text;  // cm:number:{<n>}:settings
      auto open = key.find('{');
      auto close = key.rfind('}');
      if (open != std::string::npos && close > open) {
        out.push_back(key.substr(open + 1, close - open - 1));
      }
    }
  } while (cursor != "0");
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace callmesh::notification
