#include "services/router/redis_contact_directory.h"

#include "services/router/redis_fields.h"
#include "shared/redis/keys.h"

namespace callmesh::router {

using redis::RedisReply;

Error RedisContactDirectory::unreachable(Error e) const {
  gate_.failed();
  counters_.unreachable.Increment();
  return e;
}

Result<std::vector<Contact>> RedisContactDirectory::contactsWithNumber(
    const std::string& e164) const {
  if (!gate_.allows()) {
    counters_.unreachable.Increment();
    return Error{ErrorKind::Disconnected, "not asked: Redis failed recently, retrying shortly",
                 "contacts"};
  }
  auto ids = redis_.command({"SMEMBERS", redis::notification_keys::contactsByNumber(e164)});
  if (!ids.ok()) return unreachable(ids.error());
  if (ids->type != RedisReply::Type::Array) {
    counters_.bad_data.Increment();
    return Error{ErrorKind::Internal,
                 redis::notification_keys::contactsByNumber(e164) + " is not a set: " + ids->text,
                 "contacts"};
  }
  std::vector<std::vector<std::string>> reads;
  reads.reserve(ids->elements.size());
  for (const auto& id : ids->elements) {
    reads.push_back({"HMGET", redis::notification_keys::contact(id.text), "id", "primary_agent",
                     "created_at_ms"});
  }
  std::vector<Contact> out;
  if (reads.empty()) return out;
  auto hashes = redis_.pipeline(reads);
  if (!hashes.ok()) return unreachable(hashes.error());
  bool bad = false;
  for (size_t i = 0; i < hashes->size(); ++i) {
    const RedisReply& r = (*hashes)[i];
    if (r.type != RedisReply::Type::Array || r.elements.size() != 3) {
      bad = true;
      continue;
    }
    const std::string* id = textField(r.elements[0]);
    const std::string* agent = textField(r.elements[1]);
    if (!id && !agent && r.elements[2].isNil()) continue;  // the hash is gone: stale index entry
    Contact c;
    c.id = ids->elements[i].text;
    if (agent) c.primary_agent_id = *agent;
    c.created_at_ms = integerField(r.elements[2], bad);
    out.push_back(std::move(c));
  }
  if (bad) counters_.bad_data.Increment();
  return out;
}

}  // namespace callmesh::router
