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
  EXPECT_EQ(tn.receiving_numbers.at(0).number, "+15550199999");
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

}  // namespace
}  // namespace callmesh::router
