#pragma once

// Contacts through the API (contact_routes.cpp): admins list, create, read, replace and delete
// any contact; agents change contacts only through a notification they claim
// (notification_api.h), and only contacts they may see. Handlers are plain functions.
#include <optional>
#include <string>

#include "services/notification/api_deps.h"
#include "services/notification/api_request.h"

namespace callmesh::notification {

ApiReply listContacts(ApiDeps& d, const ApiRequest& req,
                      const Principal& who);  // GET /v1/contacts?number=
ApiReply createContact(ApiDeps& d, const ApiRequest& req,
                       const Principal& who);  // POST /v1/contacts
ApiReply getContact(ApiDeps& d, const ApiRequest& req,
                    const Principal& who);  // GET /v1/contacts/{id}
ApiReply replaceContact(ApiDeps& d, const ApiRequest& req,
                        const Principal& who);  // PUT /v1/contacts/{id}
ApiReply deleteContact(ApiDeps& d, const ApiRequest& req,
                       const Principal& who);  // DELETE /v1/contacts/{id}
// GET /v1/me/contacts?q= (contact_search_routes.cpp): the caller's own contacts (an admin's: all)
// matching q, for the console's associate picker.
ApiReply searchMyContacts(ApiDeps& d, const ApiRequest& req, const Principal& who);

// Who sees a contact: admins every contact, an agent the contacts whose primary agent they are
// (seed 004: calls and texts from a contact go to its primary agent). A contact without a
// primary agent is the admins' to hand out.
bool contactVisibleTo(const Contact& contact, const Principal& who);

// The same 404 for a missing contact and one the caller may not see.
ApiReply contactNotFound(const std::string& id);

// Whether `who` may name `primary_agent` as a contact's primary agent: an agent only itself
// (403), an admin any known agent (400 for an unknown one). nullopt = allowed.
std::optional<ApiReply> primaryAgentRefusal(const ApiDeps& d, const Principal& who,
                                            const std::string& primary_agent);

}  // namespace callmesh::notification
