#pragma once

// Which contacts an agent may pick when associating a caller with an existing contact from a
// missed call (seed 004_ee4e98a6a7f6781b.txt "Source & Tag": "associate with an existing
// contact"). Pure: the route reads the book, this decides what it shows.
#include <cstddef>
#include <string>
#include <vector>

#include "services/notification/contact_book.h"

namespace callmesh::notification {

// Longest query accepted; longer is refused (400), so a request cannot make the match costly.
inline constexpr size_t kContactQueryMax = 100;
// Most contacts one search answers: a picker, not an export.
inline constexpr size_t kContactSearchMax = 20;

// The contacts of `agent` (primary agent; an admin sees every contact) whose name contains `query`
// (case-insensitive ASCII) or one of whose numbers contains its digits; an empty query matches
// all. Newest first, at most `limit`.
std::vector<Contact> searchContacts(const std::vector<Contact>& book, const std::string& agent,
                                    bool admin, const std::string& query,
                                    size_t limit = kContactSearchMax);

}  // namespace callmesh::notification
