#include "services/notification/number_settings.h"

#include <algorithm>

#include "services/notification/stored_hashes.h"
#include "shared/redis/reply_fields.h"
#include "shared/redis/scan.h"

namespace callmesh::notification {

Result<config::CompanyNumberSettings> NumberSettingsBook::effective(const std::string& number) {
  auto r = redis_.command({"HGETALL", key(number)});
  if (!r.ok()) return r.error();
  if (r->type == redis::RedisReply::Type::Array && !r->elements.empty()) {
    config::CompanyNumberSettings s;
    forEachField(*r, [&s](const std::string& f, const std::string& v) {
      if (f == "source")
        s.source = v;
      else if (f == "tag")
        s.tag = v;
      else if (f == "selected_agents")
        s.selected_agents = redis::splitList(v);
    });
    return s;
  }
  auto it = configured_.find(number);
  if (it == configured_.end()) return config::CompanyNumberSettings{};
  return it->second;
}

Status NumberSettingsBook::set(const std::string& number, const config::CompanyNumberSettings& s,
                               const std::string& by, int64_t at_ms) {
  auto r = redis_.command({"HSET", key(number), "source", s.source, "tag", s.tag, "selected_agents",
                           redis::joinList(s.selected_agents), "updated_by", by, "updated_at_ms",
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
  auto st = redis::scanKeys(redis_, redis::notification_keys::kNumberSettingsPattern,
                            [&out](const std::string& key) {
                              if (auto n = redis::hashTagOf(key); !n.empty()) out.push_back(n);
                              return true;
                            });
  if (!st.ok()) return st.error();
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace callmesh::notification
