#include "services/notification/contact_book.h"

#include <algorithm>
#include <random>

#include "services/notification/stored_hashes.h"
#include "shared/redis/keys.h"
#include "shared/redis/reply_fields.h"
#include "shared/redis/scan.h"

namespace callmesh::notification {

namespace {

// KEYS: contact. ARGV: caller number, company source, tag. Returns 1, or 0 when no contact.
constexpr const char* kAssociateLua = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local f = redis.call('HMGET', KEYS[1], 'source', 'tags', 'numbers')
local function parse(s)
  local out = {}
  for x in string.gmatch(s or '', '[^,]+') do out[#out + 1] = x end
  return out
end
local function add(list, x)
  if x == '' then return end
  for _, y in ipairs(list) do if y == x then return end end
  list[#list + 1] = x
end
local tags = parse(f[2])
local numbers = parse(f[3])
if f[1] and f[1] ~= '' then
  add(tags, ARGV[2])
elseif ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'source', ARGV[2])
end
add(tags, ARGV[3])
add(numbers, ARGV[1])
redis.call('HSET', KEYS[1], 'tags', table.concat(tags, ','), 'numbers', table.concat(numbers, ','))
return 1
)lua";

std::string randomId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* kHex = "0123456789abcdef";
  uint64_t v = rng();
  std::string out = "c";
  for (int i = 0; i < 16; ++i) out += kHex[(v >> (i * 4)) & 0xf];
  return out;
}

Status replyError(const Result<std::vector<redis::RedisReply>>& r, const char* what) {
  if (!r.ok()) return r.error();
  for (const auto& rep : *r) {
    if (rep.type == redis::RedisReply::Type::Error) {
      return Error{ErrorKind::Internal, rep.text, what};
    }
  }
  return {};
}

}  // namespace

bool isE164(const std::string& number) {
  if (number.size() < 9 || number.size() > 16 || number[0] != '+' || number[1] == '0') {
    return false;
  }
  return std::all_of(number.begin() + 1, number.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void addTag(std::vector<std::string>& tags, const std::string& tag) {
  if (tag.empty() || std::find(tags.begin(), tags.end(), tag) != tags.end()) return;
  tags.push_back(tag);
}

Contact contactFromNotification(std::string name, const std::string& caller,
                                const std::string& company_source, const std::string& tag,
                                const std::string& primary_agent) {
  Contact c;
  c.name = std::move(name);
  c.numbers = {caller};
  c.primary_agent = primary_agent;
  c.source = company_source;
  addTag(c.tags, tag);
  return c;
}

ContactBook::ContactBook(redis::RedisClient& redis) : redis_(redis), outbox_(redis) {
  associate_script_.body = kAssociateLua;
}

Status ContactBook::write(const Contact& c, const std::vector<std::string>& old_numbers) {
  // One transaction on one Redis. Redis Cluster keeps a transaction to one slot and the number
  // indexes are each in their own: there the commands run in this order without MULTI (the
  // contact first, then its indexes; a reader that finds an index entry before its contact sees
  // no contact, as after a delete).
  const bool atomic = !redis_.clustered();
  std::vector<std::vector<std::string>> cmds;
  if (atomic) cmds.push_back({"MULTI"});
  cmds.push_back({"DEL", contactKey(c.id)});
  cmds.push_back({"HSET", contactKey(c.id), "id", c.id, "name", c.name, "numbers",
                  redis::joinList(c.numbers), "primary_agent", c.primary_agent, "created_at_ms",
                  std::to_string(c.created_at_ms), "source", c.source, "tags",
                  redis::joinList(c.tags)});
  for (const auto& n : old_numbers) {
    if (std::find(c.numbers.begin(), c.numbers.end(), n) == c.numbers.end()) {
      cmds.push_back({"SREM", numberIndexKey(n), c.id});
    }
  }
  for (const auto& n : c.numbers) cmds.push_back({"SADD", numberIndexKey(n), c.id});
  if (atomic) cmds.push_back({"EXEC"});
  return replyError(redis_.pipeline(cmds), "contact write");
}

Result<Contact> ContactBook::create(Contact contact, int64_t now_ms) {
  if (contact.id.empty()) contact.id = randomId();
  if (contact.created_at_ms == 0) contact.created_at_ms = now_ms;
  auto event = makeWebhookEvent("contact.created", contact.id, contact.created_at_ms,
                                {{"id", contact.id},
                                 {"name", contact.name},
                                 {"numbers", contact.numbers},
                                 {"primary_agent", contact.primary_agent},
                                 {"source", contact.source},
                                 {"tags", contact.tags},
                                 {"created_at_ms", contact.created_at_ms}});
  if (auto st = write(contact, {}); !st.ok()) return st.error();
  // contact.created for webhooks, right after the contact (the outbox is in the `{webhooks}` slot,
  // the contact in its own: no transaction spans both; webhook_outbox.h).
  if (auto st = outbox_.queue({event}, "contact " + contact.id); !st.ok()) return st.error();
  return contact;
}

Result<std::vector<Contact>> ContactBook::load(const std::vector<std::string>& ids) {
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const auto& id : ids) keys.push_back(contactKey(id));
  std::vector<Contact> out;
  auto st = forEachStoredHash(redis_, keys, [&out](size_t, const redis::RedisReply& hash) {
    Contact c;
    forEachField(hash, [&c](const std::string& f, const std::string& v) {
      if (f == "id")
        c.id = v;
      else if (f == "name")
        c.name = v;
      else if (f == "numbers")
        c.numbers = redis::splitList(v);
      else if (f == "primary_agent")
        c.primary_agent = v;
      else if (f == "created_at_ms")
        c.created_at_ms = redis::fieldInt(v);
      else if (f == "source")
        c.source = v;
      else if (f == "tags")
        c.tags = redis::splitList(v);
    });
    out.push_back(std::move(c));
  });
  if (!st.ok()) return st.error();
  return out;
}

Result<std::optional<Contact>> ContactBook::get(const std::string& id) {
  return firstLoaded(load({id}));
}

Result<std::vector<Contact>> ContactBook::list(size_t limit) {
  std::vector<std::string> ids;
  auto st = redis::scanKeys(redis_, redis::notification_keys::kContactPattern,
                            [&ids, limit](const std::string& key) {
                              if (auto id = redis::hashTagOf(key); !id.empty()) ids.push_back(id);
                              return ids.size() < limit;
                            });
  if (!st.ok()) return st.error();
  std::sort(ids.begin(), ids.end());
  if (ids.size() > limit) ids.resize(limit);
  return load(ids);
}

Result<std::vector<Contact>> ContactBook::byNumber(const std::string& number) {
  auto r = redis_.command({"SMEMBERS", numberIndexKey(number)});
  if (!r.ok()) return r.error();
  std::vector<std::string> ids;
  for (const auto& e : r->elements) ids.push_back(e.text);
  std::sort(ids.begin(), ids.end());
  return load(ids);
}

Result<Contact> ContactBook::replace(const Contact& contact) {
  auto old = get(contact.id);
  if (!old.ok()) return old.error();
  if (!old->has_value()) return Error{ErrorKind::NotFound, "no such contact", contact.id};
  Contact c = contact;
  c.created_at_ms = (*old)->created_at_ms;
  if (auto st = write(c, (*old)->numbers); !st.ok()) return st.error();
  return c;
}

Result<bool> ContactBook::remove(const std::string& id) {
  auto old = get(id);
  if (!old.ok()) return old.error();
  if (!old->has_value()) return false;
  const bool atomic = !redis_.clustered();  // as in write()
  std::vector<std::vector<std::string>> cmds;
  if (atomic) cmds.push_back({"MULTI"});
  cmds.push_back({"DEL", contactKey(id)});
  for (const auto& n : (*old)->numbers) cmds.push_back({"SREM", numberIndexKey(n), id});
  if (atomic) cmds.push_back({"EXEC"});
  if (auto st = replyError(redis_.pipeline(cmds), "contact delete"); !st.ok()) return st.error();
  return true;
}

Result<std::optional<Contact>> ContactBook::associate(const std::string& id,
                                                      const std::string& caller,
                                                      const std::string& company_source,
                                                      const std::string& tag) {
  auto r = redis_.evalScript(associate_script_, {contactKey(id)}, {caller, company_source, tag});
  if (!r.ok()) return r.error();
  if (r->type != redis::RedisReply::Type::Integer) {
    return Error{ErrorKind::Internal, r->text, "contact associate"};
  }
  if (r->integer == 0) return std::optional<Contact>();
  auto idx = redis_.command({"SADD", numberIndexKey(caller), id});
  if (!idx.ok()) return idx.error();
  return get(id);
}

Result<bool> ContactBook::knownNumber(const std::string& number) {
  auto r = redis_.command({"SCARD", numberIndexKey(number)});
  if (!r.ok()) return r.error();
  return r->integer > 0;
}

}  // namespace callmesh::notification
