#include "services/router/route_planner.h"

#include <gtest/gtest.h>

namespace callmesh::router {
namespace {

RoutingConfig exampleConfig() {
  auto cfg = parseRoutingConfig(R"(tracking_numbers:
  - number: "+15550100"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:5080"
  - number: "+15550101"
    ring_timeout_s: 20
    receiving_numbers:
      - {number: "+15550191", uri: "sip:+15550191@127.0.0.1:5081"}
      - {number: "+15550192", uri: "sip:+15550192@127.0.0.1:5082"}
)",
                                "routing.yaml");
  EXPECT_TRUE(cfg.ok()) << cfg.error().describe();
  return cfg.value();
}

// seed 000_246ae9c7ee9a1def.txt: a tracking number forwards to its receiving number.
TEST(RoutePlanner, TrackingNumberForwardsToReceivingNumber) {
  auto cfg = exampleConfig();
  RoutePlanner planner(cfg);
  auto out = planner.decide(CallQuery{"c1", "+15550100", "+15557770000", "", {}, 0});
  ASSERT_FALSE(out.reject);
  ASSERT_EQ(out.steps.size(), 1u);
  ASSERT_EQ(out.steps[0].targets.size(), 1u);
  EXPECT_EQ(out.steps[0].targets[0].uri, "sip:+15550199@127.0.0.1:5080");
  EXPECT_EQ(out.steps[0].timeout_ms, 45000);
  EXPECT_EQ(out.rule, "direct_forward");
  EXPECT_EQ(out.number, "+15550100");
}

// seed 000_246ae9c7ee9a1def.txt: several receiving numbers are rung together.
TEST(RoutePlanner, SeveralReceivingNumbersRingTogether) {
  auto cfg = exampleConfig();
  RoutePlanner planner(cfg);
  auto out = planner.decide(CallQuery{"c1", "+1 555 0101", "", "", {}, 0});
  ASSERT_FALSE(out.reject);
  ASSERT_EQ(out.steps.size(), 1u);
  EXPECT_EQ(out.steps[0].targets.size(), 2u);
  EXPECT_EQ(out.steps[0].timeout_ms, 20000);
}

TEST(RoutePlanner, UnknownNumberIsRejected404WithTrace) {
  auto cfg = exampleConfig();
  RoutePlanner planner(cfg);
  auto out = planner.decide(CallQuery{"c1", "+15550999", "", "", {}, 0});
  ASSERT_TRUE(out.reject);
  EXPECT_EQ(out.status, 404);
  EXPECT_EQ(out.rule, "unknown_number");
  ASSERT_FALSE(out.trace.empty());
}

TEST(RoutePlanner, UnparseableDialedNumberIsRejected) {
  auto cfg = exampleConfig();
  RoutePlanner planner(cfg);
  auto out = planner.decide(CallQuery{"c1", "alice", "", "", {}, 0});
  ASSERT_TRUE(out.reject);
  EXPECT_EQ(out.status, 404);
}

}  // namespace
}  // namespace callmesh::router
