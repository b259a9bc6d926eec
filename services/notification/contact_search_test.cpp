// searchContacts: what the console's "associate with an existing contact" picker may show
// (seed 004_ee4e98a6a7f6781b.txt "Source & Tag").
#include "services/notification/contact_search.h"

#include <gtest/gtest.h>

namespace callmesh::notification {
namespace {

Contact contact(std::string id, std::string name, std::string number, std::string agent,
                int64_t at) {
  Contact c;
  c.id = std::move(id);
  c.name = std::move(name);
  c.numbers = {std::move(number)};
  c.primary_agent = std::move(agent);
  c.created_at_ms = at;
  return c;
}

std::vector<std::string> ids(const std::vector<Contact>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.id);
  return out;
}

const std::vector<Contact> kBook = {contact("c1", "Dana Smith", "+15557770001", "alice", 1),
                                    contact("c2", "Eli Smithers", "+15557770002", "bob", 2),
                                    contact("c3", "Fay Jones", "+15558880003", "alice", 3),
                                    contact("c4", "Gus Nobody", "+15559990004", "", 4)};

TEST(ContactSearch, AnAgentSeesOnlyTheirOwnContactsNewestFirst) {
  EXPECT_EQ(ids(searchContacts(kBook, "alice", false, "")), (std::vector<std::string>{"c3", "c1"}));
  EXPECT_EQ(ids(searchContacts(kBook, "bob", false, "smith")), (std::vector<std::string>{"c2"}));
  EXPECT_TRUE(searchContacts(kBook, "carol", false, "").empty());
}

TEST(ContactSearch, AnAdminSeesEveryContact) {
  EXPECT_EQ(ids(searchContacts(kBook, "root", true, "smith")),
            (std::vector<std::string>{"c2", "c1"}));
}

TEST(ContactSearch, MatchesNameCaseInsensitivelyAndNumbersByDigits) {
  EXPECT_EQ(ids(searchContacts(kBook, "alice", false, "DANA")), (std::vector<std::string>{"c1"}));
  EXPECT_EQ(ids(searchContacts(kBook, "alice", false, "(555) 888")),
            (std::vector<std::string>{"c3"}));
  EXPECT_TRUE(searchContacts(kBook, "alice", false, "zzz").empty());
}

TEST(ContactSearch, AnswersAtMostTheLimit) {
  EXPECT_EQ(ids(searchContacts(kBook, "root", true, "", 2)),
            (std::vector<std::string>{"c4", "c3"}));
}

}  // namespace
}  // namespace callmesh::notification
