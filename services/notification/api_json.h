#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/notification/contact_book.h"
#include "services/notification/notification_store.h"
#include "services/notification/presence_client.h"
#include "shared/base/result.h"

namespace callmesh::notification {

nlohmann::json recordJson(const NotificationRecord& record);
nlohmann::json contactJson(const Contact& contact);
nlohmann::json presenceJson(const AgentPresenceView& presence);

// One field a request body may carry.
struct BodyField {
  enum class Type { String, StringList, Bool };
  const char* name;
  Type type;
  bool required;
};

// Parses a request body as one JSON object holding only `fields`, with the right types.
// The error names what is wrong: not JSON (with the parser's position), not an object, an
// unknown field, a missing field, a field of the wrong type. Error::context is the field.
Result<nlohmann::json> parseBody(const std::string& body, const std::vector<BodyField>& fields);

// A StringList field parseBody() accepted, as strings.
std::vector<std::string> stringsOf(const nlohmann::json& list);

// True when some item holds a ',': such a value cannot live in Redis's comma lists
// (docs/redis-keys.md), so the API refuses it.
bool hasComma(const std::vector<std::string>& items);

}  // namespace callmesh::notification
