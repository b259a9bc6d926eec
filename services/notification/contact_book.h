#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "services/notification/webhook_outbox.h"
#include "shared/base/result.h"
#include "shared/redis/keys.h"
#include "shared/redis/redis_client.h"

namespace callmesh::notification {

// A CRM contact as the router reads it (docs/redis-keys.md `cm:contact:{<id>}`).
// seed 004_ee4e98a6a7f6781b.txt: a contact has one Source and many Tags.
struct Contact {
  std::string id;
  std::string name;
  std::vector<std::string> numbers;  // E.164
  std::string primary_agent;         // empty = none
  int64_t created_at_ms = 0;
  std::string source;
  std::vector<std::string> tags;
};

// The contact made from a notification (seed 004 "Source & Tag"): Source = the company number's
// Source, the number's Tag added as a tag, the caller's number as its number.
Contact contactFromNotification(std::string name, const std::string& caller,
                                const std::string& company_source, const std::string& tag,
                                const std::string& primary_agent);

// Adds `tag` unless empty or already there.
void addTag(std::vector<std::string>& tags, const std::string& tag);

// Strict E.164: '+' then 8..15 digits, first digit not 0.
bool isE164(const std::string& number);

// Contacts in Redis, with the by-number index the router reads. Writes of one contact go in one
// MULTI/EXEC (the hash and its index entries together); associating a caller with a contact is
// one Lua script so concurrent edits cannot lose a tag.
class ContactBook {
 public:
  explicit ContactBook(redis::RedisClient& redis);

  // Stores a new contact; fills `id` (random) when empty and `created_at_ms` when 0.
  Result<Contact> create(Contact contact, int64_t now_ms);
  Result<std::optional<Contact>> get(const std::string& id);
  Result<std::vector<Contact>> list(size_t limit);
  Result<std::vector<Contact>> byNumber(const std::string& number);
  // Replaces the contact's fields (id and created_at_ms are kept); moves index entries.
  Result<Contact> replace(const Contact& contact);
  // Returns false when there was no such contact.
  Result<bool> remove(const std::string& id);
  // seed 004: associating the caller with an existing contact. If the contact has a Source, the
  // company number's Source becomes a Tag; otherwise it becomes the Source. The number's Tag is
  // added as a Tag; the caller's number is added. Returns the contact after, nullopt when absent.
  Result<std::optional<Contact>> associate(const std::string& id, const std::string& caller,
                                           const std::string& company_source,
                                           const std::string& tag);
  // True when some contact has this number (the caller is known).
  Result<bool> knownNumber(const std::string& number);

  // Names owned by shared/redis/keys.h (notification_keys); kept here for existing callers.
  static std::string contactKey(const std::string& id) {
    return redis::notification_keys::contact(id);
  }
  static std::string numberIndexKey(const std::string& number) {
    return redis::notification_keys::contactsByNumber(number);
  }

 private:
  Status write(const Contact& contact, const std::vector<std::string>& old_numbers);
  Result<std::vector<Contact>> load(const std::vector<std::string>& ids);

  redis::RedisClient& redis_;
  redis::RedisScript associate_script_;
  WebhookOutbox outbox_;  // contact.created, queued right after the contact
};

}  // namespace callmesh::notification
