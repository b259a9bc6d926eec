// GET /v1/me/contacts?q=: the contacts the caller may associate a missed call's caller with (their
// own, as primary agent; an admin's: all), for the console's "associate with an existing contact"
// picker. /v1/contacts stays admin-only.
#include <nlohmann/json.hpp>

#include "services/notification/api_json.h"
#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "services/notification/contact_api.h"
#include "services/notification/contact_search.h"

namespace callmesh::notification {

namespace {
// How much of the book one search reads (ContactBook::list's bound).
constexpr size_t kBookReadMax = 1000;
}  // namespace

ApiReply searchMyContacts(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  std::string q = req.queryValue("q");
  if (q.size() > kContactQueryMax) {
    return refuse(400, "invalid_request",
                  "query 'q' is longer than " + std::to_string(kContactQueryMax) + " characters",
                  {{"field", "q"}});
  }
  auto book = d.contacts.list(kBookReadMax);
  if (!book.ok()) return redisDown(d.log, book.error());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : searchContacts(*book, who.agent_id, who.admin, q)) {
    out.push_back(contactJson(c));
  }
  return reply(200, {{"contacts", out}});
}

void addContactSearchRoutes(ApiRoutes& routes) {
  routes.get("/v1/me/contacts", Access::AnyToken, searchMyContacts);
}

}  // namespace callmesh::notification
