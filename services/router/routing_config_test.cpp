#include "services/router/routing_config.h"

#include <gtest/gtest.h>

namespace callmesh::router {
namespace {

TEST(RoutingConfig, NormalisesNumbersInCommonForms) {
  auto cfg = parseRoutingConfig(R"(tracking_numbers:
  - number: "(555) 010-0100"
    receiving_numbers:
      - number: "+1 555 019 9999"
        uri: "sip:+15550199@127.0.0.1:5080"
)",
                                "routing.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  ASSERT_EQ(cfg->tracking_numbers.count("+15550100100"), 1u);
  const auto& tn = cfg->tracking_numbers.at("+15550100100");
  EXPECT_EQ(tn.number, "+15550100100");
  EXPECT_EQ(tn.receiving_numbers.at(0), "+15550199999");
  EXPECT_EQ(cfg->receiving_numbers.at("+15550199999").uri, "sip:+15550199@127.0.0.1:5080");
  EXPECT_EQ(tn.ring_timeout_ms, 45000);  // seed 000_246ae9c7ee9a1def.txt: default 45 s
}

TEST(RoutingConfig, RejectsInvalidNumberWithLineAndKey) {
  auto cfg = parseRoutingConfig(R"(tracking_numbers:
  - number: "call me"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:a@127.0.0.1"
)",
                                "routing.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message,
            "routing.yaml:2: tracking_numbers[0].number: 'call me' is not a phone number");
}

TEST(RoutingConfig, RejectsUnknownKeyAndNonSipUri) {
  auto cfg = parseRoutingConfig(R"(tracking_numbers:
  - number: "+15550100"
    colour: blue
    receiving_numbers:
      - number: "+15550199"
        uri: "http://example"
)",
                                "routing.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.error().message.find("routing.yaml:3: tracking_numbers[0].colour: unknown key"),
            std::string::npos)
      << cfg.error().message;
  EXPECT_NE(
      cfg.error().message.find("routing.yaml:6: tracking_numbers[0].receiving_numbers[0].uri: must "
                               "be a sip: or sips: URI"),
      std::string::npos)
      << cfg.error().message;
}

TEST(RoutingConfig, RejectsDuplicateTrackingNumber) {
  auto cfg = parseRoutingConfig(R"(tracking_numbers:
  - number: "+15550100"
    receiving_numbers: [{number: "+15550199", uri: "sip:a@127.0.0.1"}]
  - number: "+1 555 0100"
    receiving_numbers: [{number: "+15550199", uri: "sip:a@127.0.0.1"}]
)",
                                "routing.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.error().message.find("tracking number +15550100 is listed twice"),
            std::string::npos);
}

TEST(RoutingConfig, RequiresReceivingNumbers) {
  auto cfg = parseRoutingConfig("tracking_numbers:\n  - number: \"+15550100\"\n", "routing.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.error().message.find("receiving_numbers: must list at least one receiving number"),
            std::string::npos);
}

// seed 000_246ae9c7ee9a1def.txt: receiving-number options are parsed into the typed config.
TEST(RoutingConfig, Seed000ParsesReceivingNumberOptions) {
  auto cfg = loadRoutingConfig(std::string(CALLMESH_ROUTING_TEST_DATA) + "/good/every_rule.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  const ReceivingNumber& desk = cfg->receiving_numbers.at("+12125550150");
  EXPECT_EQ(desk.extension, "3ww1928");
  EXPECT_EQ(desk.dial_pause_s, 1);
  EXPECT_EQ(desk.extensionDigits(), "ww3ww1928");
  EXPECT_EQ(desk.caller_id.mode, CallerIdRule::Mode::TrackingNumber);
  EXPECT_EQ(desk.agent_id, "bob");
  EXPECT_EQ(desk.ring_timeout_ms, 20000);
  ASSERT_TRUE(desk.no_answer.has_value());
  EXPECT_EQ(desk.no_answer->kind, Destination::Kind::Queue);
  ASSERT_TRUE(desk.schedule.has_value());
  EXPECT_EQ(desk.schedule->when_closed.kind, Destination::Kind::VoiceMenu);
  ASSERT_TRUE(desk.tagging_hours.has_value());
  EXPECT_EQ(desk.tagging_hours->after_hours_max_duration_s, 120);
  // Named but not defined: reached through pstn_gateway.
  EXPECT_EQ(cfg->receiving_numbers.at("+12125550161").uri,
            "sip:+12125550161@gw.example.internal:5060");
  EXPECT_EQ(cfg->agents.at("bob").number, "+12125550102");  // "(212) 555-0102" normalised
  EXPECT_FALSE(cfg->agents.at("erin").hasPhone());
  EXPECT_EQ(cfg->tracking_numbers.at("+18005550003").ring_order, RingOrder::InOrder);
  EXPECT_EQ(cfg->company_numbers.at("+18005550200").rules.size(), 2u);
  EXPECT_EQ(cfg->geo_routers.at("by_region").by_zip.at("94105"), "+14155550180");
}

// seed 000_246ae9c7ee9a1def.txt: the same plain receiving number may be listed under several
// tracking numbers in the direct-forward format.
TEST(RoutingConfig, Seed000PlainReceivingNumberMayRepeat) {
  auto cfg = parseRoutingConfig(R"(tracking_numbers:
  - number: "+15550100"
    receiving_numbers: [{number: "+15550199", uri: "sip:a@127.0.0.1"}]
  - number: "+15550101"
    receiving_numbers: [{number: "+15550199", uri: "sip:a@127.0.0.1"}, "+15550199"]
)",
                                "routing.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  EXPECT_EQ(cfg->receiving_numbers.size(), 1u);
}

// seed 003_7e7aa9d90d570bcd.txt: a geo router whose default leads back into a chain that reaches
// the router again is a loop.
TEST(RoutingConfig, Seed003GeoRouterLoopIsRejected) {
  auto cfg = parseRoutingConfig(R"(pstn_gateway: gw
geo_routers:
  - id: g
    routes: [{zips: ["10001"], number: "+12125550170"}]
    default: {number: "+12125550171"}
receiving_numbers:
  - {number: "+12125550171", no_answer: {geo_router: g}}
tracking_numbers:
  - {number: "+18005550001", route: {geo_router: g}}
)",
                                "routing.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message,
            "routing.yaml:7: receiving_numbers[0].no_answer: routing loops back on itself: geo "
            "router g -> receiving number +12125550171 -> geo router g (seed 003)");
}

// The loader checks section by section (locations and schedules before agents, numbers after),
// then references, then loops; the operator reads the file top to bottom, so the errors come in
// file-line order whatever the order they were found in.
TEST(RoutingConfig, ErrorsAreListedInFileLineOrder) {
  auto cfg = parseRoutingConfig(R"(tracking_numbers:
  - number: "call me"
    route: {queue: support}
agents:
  - id: alice
    colour: blue
locations:
  - {id: nyc, time_zone: America/New_York}
schedules:
  - id: office
    location: nyc
    hours: [{days: funday, from: "09:00", to: "17:00"}]
)",
                                "routing.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message,
            "routing.yaml:2: tracking_numbers[0].number: 'call me' is not a phone number\n"
            "routing.yaml:3: tracking_numbers[0].route: no queue 'support'\n"
            "routing.yaml:6: agents[0].colour: unknown key\n"
            "routing.yaml:12: schedules[0].hours[0].days: 'funday' is not a day (mon..sun), a "
            "range like mon-fri, or daily");
}

// A word out of a fixed set (queue strategy, ring order) names the words it may be.
TEST(RoutingConfig, UnknownChoiceNamesTheChoices) {
  auto cfg = parseRoutingConfig(R"(agents:
  - {id: alice, uri: "sip:alice@127.0.0.1"}
queues:
  - {id: sales, strategy: random, agents: [alice]}
tracking_numbers:
  - number: "+15550100"
    ring: sideways
    route: {queue: sales}
)",
                                "routing.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message,
            "routing.yaml:4: queues[0].strategy: must be ring_all, round_robin or longest_idle\n"
            "routing.yaml:7: tracking_numbers[0].ring: must be together or in_order");
}

// The agent registry's fields (issue 20, docs/provisioning.md) are checked by the router's
// loader, so the provisioning API refuses a bad entry before it is activated.
TEST(RoutingConfig, AgentRegistryFieldsAreCheckedWithTheirPaths) {
  auto good = parseRoutingConfig(R"(agents:
  - id: bob
    number: "+15550302"
    uri: "sip:bob@127.0.0.1:5080"
    time_zone: America/New_York
    working_hours: [{days: mon-fri, from: "09:00", to: "17:00"}]
    role: admin
    api_token_sha256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    personal_number: "+15550303"
    company_number: "+15550200"
    sender_id: company
)",
                                 "routing.yaml");
  ASSERT_TRUE(good.ok()) << good.error().describe();
  ASSERT_TRUE(good->agents.at("bob").zone);
  EXPECT_EQ(good->agents.at("bob").zone->name(), "America/New_York");
  auto bad = parseRoutingConfig(R"(locations: [{id: hq, time_zone: UTC}]
agents:
  - {id: bob, time_zone: Mars/Olympus}
  - {id: carol, role: boss, api_token_sha256: "nope", location: hq, time_zone: UTC}
)",
                                "routing.yaml");
  ASSERT_FALSE(bad.ok());
  const auto& m = bad.error().message;
  EXPECT_NE(m.find("routing.yaml:3: agents[0].time_zone:"), std::string::npos) << m;
  EXPECT_NE(m.find("agents[1].role: must be agent or admin"), std::string::npos) << m;
  EXPECT_NE(m.find("agents[1].api_token_sha256: must be 64 lowercase hex digits"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("agents[1].time_zone: set time_zone or location, not both"), std::string::npos)
      << m;
}

// Caps at run time (issue 20): checked here, applied by the concurrency-limiter.
TEST(RoutingConfig, NumberAndAccountCapsAreCheckedAndKept) {
  auto good = parseRoutingConfig(
      "number_caps:\n  - {number: \"+15550100\", cap: 2}\naccount_caps:\n  - {id: acme, cap: 9}\n",
      "routing.yaml");
  ASSERT_TRUE(good.ok()) << good.error().describe();
  EXPECT_EQ(good->number_caps.at("+15550100"), 2);
  EXPECT_EQ(good->account_caps.at("acme"), 9);
  auto bad = parseRoutingConfig(
      "number_caps:\n  - {number: \"+1 555 0100\", cap: 2}\n  - {number: \"+15550101\", cap: 0}\n",
      "routing.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("number_caps[0].number: write it in E.164 (+15550100)"),
            std::string::npos)
      << bad.error().message;
  EXPECT_NE(bad.error().message.find("number_caps[1].cap:"), std::string::npos);
}

}  // namespace
}  // namespace callmesh::router
