#include "services/router/company_number_rules.h"

#include <gtest/gtest.h>

namespace callmesh::router {
namespace {

// seed 004_ee4e98a6a7f6781b.txt, "Duplicate Phone Number", scenarios 1 and 2.
TEST(CompanyNumberRules, Seed004PrimaryAgentOfDuplicateContacts) {
  struct Row {
    const char* name;
    std::vector<Contact> contacts;
    std::optional<std::string> agent;
    std::vector<std::string> timeline;
  } rows[] = {
      {"no contacts", {}, std::nullopt, {}},
      {"contact without primary agent", {{"c1", "", 1}}, std::nullopt, {}},
      {"one contact", {{"c1", "amy", 1}}, "amy", {"c1"}},
      {"scenario 1: same agent, timeline on all",
       {{"c1", "amy", 1}, {"c2", "amy", 5}, {"c3", "", 9}},
       "amy",
       {"c1", "c2", "c3"}},
      {"scenario 2: different agents, newest contact wins, timeline on it only",
       {{"c1", "amy", 5}, {"c2", "ben", 9}, {"c3", "cy", 7}},
       "ben",
       {"c2"}},
      {"scenario 2: equal creation times break ties by id",
       {{"c1", "amy", 5}, {"c2", "ben", 5}},
       "ben",
       {"c2"}},
  };
  for (const auto& row : rows) {
    auto choice = choosePrimaryAgent(row.contacts);
    ASSERT_EQ(choice.has_value(), row.agent.has_value()) << row.name;
    if (!choice) continue;
    EXPECT_EQ(choice->agent_id, *row.agent) << row.name;
    EXPECT_EQ(choice->timeline_contact_ids, row.timeline) << row.name;
  }
}

// seed 004_ee4e98a6a7f6781b.txt: custom rules by active hours, before the default.
TEST(CompanyNumberRules, Seed004ActiveRule) {
  CompanyNumber company;
  company.rules.push_back(CompanyRule{"mornings", {{DayTimeRange{0x1f, 8 * 60, 12 * 60}}}, {}, 0});
  company.rules.push_back(CompanyRule{"weekend", {{DayTimeRange{0x60, 0, 1440}}}, {}, 0});
  struct Row {
    int weekday;
    int minute;
    const char* rule;  // nullptr = default
  } rows[] = {{0, 8 * 60, "mornings"}, {4, 11 * 60 + 59, "mornings"}, {0, 12 * 60, nullptr},
              {5, 0, "weekend"},       {6, 1439, "weekend"},          {2, 3 * 60, nullptr}};
  for (const auto& row : rows) {
    LocalTime t;
    t.weekday = row.weekday;
    t.minute_of_day = row.minute;
    const CompanyRule* r = activeCompanyRule(company, t);
    if (row.rule == nullptr) {
      EXPECT_EQ(r, nullptr) << row.weekday << " " << row.minute;
    } else {
      ASSERT_NE(r, nullptr);
      EXPECT_EQ(r->name, row.rule);
    }
  }
}

}  // namespace
}  // namespace callmesh::router
