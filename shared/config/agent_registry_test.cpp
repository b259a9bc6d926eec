// The agent registry (issue 20): one entry per agent in the routing document's `agents`, read by
// agent-presence (working hours in an IANA zone) and notification (token hash, role, numbers).
#include "shared/config/agent_registry.h"

#include <gtest/gtest.h>

namespace callmesh::config {
namespace {

constexpr const char* kDoc = R"(locations:
  - {id: nyc, time_zone: America/New_York}
agents:
  - id: alice
    number: "+15550150"
    time_zone: America/Los_Angeles
    working_hours: [{days: mon-fri, from: "09:00", to: "17:00"}]
    role: admin
    api_token_sha256: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    personal_number: "+15550151"
    sender_id: personal
  - id: bob
    location: nyc
    working_hours: [{days: [sat, sun], from: "10:00", to: "14:00"}]
  - {id: carol}
)";

TEST(AgentRegistry, ReadsEveryFieldOfAnEntry) {
  auto reg = parseAgentRegistry(kDoc);
  ASSERT_TRUE(reg.ok()) << reg.error().describe();
  ASSERT_EQ(reg->size(), 3u);
  const auto& alice = reg->at("alice");
  EXPECT_EQ(alice.number, "+15550150");
  ASSERT_TRUE(alice.has_hours);
  ASSERT_TRUE(alice.hours.zone);
  EXPECT_EQ(alice.hours.zone->name(), "America/Los_Angeles");
  ASSERT_EQ(alice.hours.working_hours.size(), 1u);
  EXPECT_EQ(alice.hours.working_hours[0].days, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(alice.hours.working_hours[0].from_minute, 9 * 60);
  EXPECT_EQ(alice.hours.working_hours[0].to_minute, 17 * 60);
  EXPECT_EQ(alice.role, ApiRole::Admin);
  EXPECT_EQ(alice.numbers.personal_number, "+15550151");
  EXPECT_EQ(alice.numbers.sender_id, "personal");
  // bob's zone comes from his location.
  EXPECT_EQ(reg->at("bob").hours.zone->name(), "America/New_York");
  EXPECT_EQ(reg->at("bob").hours.working_hours[0].days, (std::vector<int>{5, 6}));
  EXPECT_FALSE(reg->at("carol").has_hours);
}

TEST(AgentRegistry, TheRegistryWinsOverClusterYamlsDeprecatedEntries) {
  auto reg = parseAgentRegistry(kDoc).value();
  std::map<std::string, AgentHours> configured;
  configured["alice"].utc_offset_minutes = -300;
  configured["carol"].utc_offset_minutes = 60;
  configured["dave"].utc_offset_minutes = 120;
  auto hours = mergedHours(reg, configured);
  EXPECT_TRUE(hours.at("alice").zone);                  // the registry's zone, not the offset
  EXPECT_EQ(hours.count("carol"), 0u);                  // listed without hours: always working
  EXPECT_EQ(hours.at("dave").utc_offset_minutes, 120);  // not in the registry: kept
  EXPECT_EQ(hours.count("bob"), 1u);
  auto tokens = registryTokens(reg);
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens.begin()->second.agent_id, "alice");
  EXPECT_EQ(tokens.begin()->second.role, ApiRole::Admin);
}

TEST(AgentRegistry, AMalformedEntryIsAnErrorNamingIt) {
  auto bad = parseAgentRegistry("agents:\n  - {id: x, role: boss}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().context.find("agents[0].role"), std::string::npos);
  EXPECT_FALSE(parseAgentRegistry("agents:\n  - {id: x, time_zone: Mars/Olympus}\n").ok());
  EXPECT_FALSE(
      parseAgentRegistry("agents:\n  - {id: x, working_hours: [{days: mon, from: '9', to: '5'}]}\n")
          .ok());
  EXPECT_TRUE(parseAgentRegistry("not: [a, routing, doc]\n").value().empty());
}

}  // namespace
}  // namespace callmesh::config
