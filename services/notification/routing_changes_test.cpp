// The provisioning API's pure pieces (routing_changes.h): field-path problems, the audit's line
// diff, per-resource edits of a routing document. seed 000_246ae9c7ee9a1def.txt: a tracking
// number forwards to its receiving numbers, which an admin changes one entry at a time.
#include "services/notification/routing_changes.h"
#include "services/notification/routing_api.h"

#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

namespace callmesh::notification {
namespace {

constexpr const char* kDoc = R"(tracking_numbers:
  - number: "+15550100"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:5080"
  - number: "+15550101"
    receiving_numbers:
      - number: "+15550198"
        uri: "sip:+15550198@127.0.0.1:5080"
)";

TEST(RoutingProblems, EachLoaderLineNamesItsLineFieldAndMessage) {
  Error e{ErrorKind::InvalidInput,
          "routing:4: tracking_numbers[0].receiving_numbers[0].uri: must be a sip: or sips: URI\n"
          "routing:9: unknown key 'bogus'"};
  auto p = routingProblems(e);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].line, 4);
  EXPECT_EQ(p[0].field, "tracking_numbers[0].receiving_numbers[0].uri");
  EXPECT_EQ(p[0].message, "must be a sip: or sips: URI");
  EXPECT_EQ(p[1].line, 9);
  EXPECT_EQ(p[1].field, "");
  EXPECT_EQ(p[1].message, "unknown key 'bogus'");
}

TEST(RoutingProblems, AYamlSyntaxErrorIsOneProblemAtItsLine) {
  auto p = routingProblems(
      Error{ErrorKind::InvalidInput, "YAML syntax: end of map not found", "routing:3"});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].line, 3);
  EXPECT_EQ(p[0].message, "YAML syntax: end of map not found");
}

TEST(LineDiff, ShowsOnlyTheChangedLinesWhereTheyStart) {
  EXPECT_EQ(lineDiff("a\nb\nc\n", "a\nb\nc\n"), "");
  EXPECT_EQ(lineDiff("a\nb\nc\n", "a\nB\nc\n"), "@@ line 2\n-b\n+B\n");
  EXPECT_EQ(lineDiff("a\nc\n", "a\nb\nc\n"), "@@ line 2\n+b\n");
  EXPECT_EQ(lineDiff("a\nb\nc\nd\n", "a\nc\n"), "@@ line 2\n-b\n@@ line 4\n-d\n");
}

TEST(RoutingResources, GetFindsAnEntryByItsNumberWrittenAnyWay) {
  auto got = getResource(kDoc, "tracking_numbers", "+1 555 0101");
  ASSERT_TRUE(got.ok()) << got.error().describe();
  auto node = YAML::Load(*got);
  EXPECT_EQ(node["receiving_numbers"][0]["number"].as<std::string>(), "+15550198");
  EXPECT_EQ(getResource(kDoc, "tracking_numbers", "+15559999").error().kind, ErrorKind::NotFound);
  EXPECT_EQ(getResource(kDoc, "bogus", "x").error().kind, ErrorKind::InvalidInput);
}

TEST(RoutingResources, PutReplacesOneEntryAndKeepsTheOthers) {
  auto next = putResource(kDoc, "tracking_numbers", "+15550100",
                          R"({"receiving_numbers": [{"number": "+15550177",
                              "uri": "sip:+15550177@127.0.0.1:5081"}]})");
  ASSERT_TRUE(next.ok()) << next.error().describe();
  auto root = YAML::Load(*next);
  ASSERT_EQ(root["tracking_numbers"].size(), 2u);
  EXPECT_EQ(root["tracking_numbers"][0]["number"].as<std::string>(), "+15550100");
  EXPECT_EQ(root["tracking_numbers"][0]["receiving_numbers"][0]["uri"].as<std::string>(),
            "sip:+15550177@127.0.0.1:5081");
  EXPECT_EQ(root["tracking_numbers"][1]["receiving_numbers"][0]["number"].as<std::string>(),
            "+15550198");
}

TEST(RoutingResources, PutAppendsANewEntryAndCreatesTheSection) {
  auto next = putResource(kDoc, "agents", "alice", "{number: \"+15550150\"}");
  ASSERT_TRUE(next.ok()) << next.error().describe();
  auto root = YAML::Load(*next);
  ASSERT_EQ(root["agents"].size(), 1u);
  EXPECT_EQ(root["agents"][0]["id"].as<std::string>(), "alice");
  EXPECT_EQ(root["tracking_numbers"].size(), 2u);
}

// seed 004_ee4e98a6a7f6781b.txt: a per-number cap set through the API; the first one creates the
// section (an absent key must not be read through: yaml-cpp throws "invalid node").
TEST(RoutingResources, PutTheFirstCapCreatesItsSection) {
  auto next = putResource(kDoc, "number_caps", "+15550100", R"({"cap": 1})");
  ASSERT_TRUE(next.ok()) << next.error().describe();
  auto root = YAML::Load(*next);
  ASSERT_EQ(root["number_caps"].size(), 1u);
  EXPECT_EQ(root["number_caps"][0]["number"].as<std::string>(), "+15550100");
  EXPECT_EQ(root["number_caps"][0]["cap"].as<int>(), 1);
  auto again = putResource(*next, "number_caps", "+15550100", R"({"cap": 3})");
  ASSERT_TRUE(again.ok()) << again.error().describe();
  root = YAML::Load(*again);
  ASSERT_EQ(root["number_caps"].size(), 1u);
  EXPECT_EQ(root["number_caps"][0]["cap"].as<int>(), 3);
}

TEST(RoutingResources, AnEmptySectionOrDocumentTakesItsFirstEntry) {
  auto next = putResource("number_caps:\n", "number_caps", "+15550100", "{cap: 2}");
  ASSERT_TRUE(next.ok()) << next.error().describe();
  EXPECT_EQ(YAML::Load(*next)["number_caps"][0]["cap"].as<int>(), 2);
  next = putResource("", "account_caps", "acme", "{cap: 5}");
  ASSERT_TRUE(next.ok()) << next.error().describe();
  EXPECT_EQ(YAML::Load(*next)["account_caps"][0]["id"].as<std::string>(), "acme");
  EXPECT_EQ(getResource("", "agents", "bob").error().kind, ErrorKind::NotFound);
  EXPECT_EQ(deleteResource("", "agents", "bob").error().kind, ErrorKind::NotFound);
}

TEST(RoutingResources, ASectionThatIsNotAListIsRefusedByName) {
  auto next = putResource("agents: 3\n", "agents", "bob", "{number: \"+15550150\"}");
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().kind, ErrorKind::InvalidInput);
  EXPECT_EQ(next.error().context, "agents");
}

// A well-formed YAML body of the wrong shape is a 422 naming the field, never an exception (the
// API would answer 500).
TEST(RoutingResources, AWrongShapedEntryIsRefusedWithItsFieldNotThrown) {
  const std::pair<const char*, const char*> cases[] = {
      {"number_caps", R"({"cap": [1]})"},
      {"number_caps", R"({"cap": "many"})"},
      {"account_caps", R"({"cap": {"a": 1}})"},
      {"agents", R"({"working_hours": "always", "time_zone": "America/New_York"})"},
      {"agents", R"({"working_hours": [{"days": ["mon", {"x": 1}], "from": "09:00"}]})"},
      {"agents", R"({"time_zone": "Nowhere/At_All", "role": ["admin"]})"},
      {"tracking_numbers", R"({"receiving_numbers": "sip:x@127.0.0.1"})"},
  };
  for (const auto& [section, body] : cases) {
    SCOPED_TRACE(std::string(section) + " " + body);
    const std::string id =
        std::string(section).find("number") != std::string::npos ? "+15550100" : "bob";
    auto next = putResource(kDoc, section, id, body);
    ASSERT_TRUE(next.ok()) << next.error().describe();
    std::optional<ApiReply> refusal;
    ASSERT_NO_THROW(refusal = validationRefusal(*next));
    ASSERT_TRUE(refusal.has_value());
    EXPECT_EQ(refusal->status, 422);
    ASSERT_FALSE(refusal->body["errors"].empty()) << refusal->body.dump();
    EXPECT_NE(refusal->body["errors"][0]["field"].get<std::string>(), "") << refusal->body.dump();
  }
}

TEST(RoutingResources, PutRefusesABodyNamingAnotherEntry) {
  auto next = putResource(kDoc, "agents", "alice", "{id: bob}");
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().kind, ErrorKind::InvalidInput);
  EXPECT_FALSE(putResource(kDoc, "agents", "alice", "[1, 2]").ok());
}

TEST(RoutingResources, DeleteRemovesOneEntry) {
  auto next = deleteResource(kDoc, "tracking_numbers", "+15550100");
  ASSERT_TRUE(next.ok());
  auto root = YAML::Load(*next);
  ASSERT_EQ(root["tracking_numbers"].size(), 1u);
  EXPECT_EQ(root["tracking_numbers"][0]["number"].as<std::string>(), "+15550101");
  EXPECT_EQ(deleteResource(kDoc, "agents", "nobody").error().kind, ErrorKind::NotFound);
}

}  // namespace
}  // namespace callmesh::notification
