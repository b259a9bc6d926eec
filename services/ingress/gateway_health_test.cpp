// The gateway health model, the selection order and the target rewrite (issue 21: gateway sets).
#include "services/ingress/gateway_health.h"

#include <gtest/gtest.h>

#include "services/ingress/gateway_selection.h"
#include "services/ingress/gateway_sets.h"

namespace callmesh::ingress {
namespace {

HealthPolicy policy() { return HealthPolicy{1000, 400, 2, 3}; }

TEST(GatewayHealth, FirstProbeAtOnceThenEveryIntervalNeverTwoInFlight) {
  GatewayHealth h(policy());
  EXPECT_TRUE(h.up());
  EXPECT_TRUE(h.probeDue(0));
  h.probeSent(0);
  EXPECT_FALSE(h.probeDue(5000));  // still in flight
  EXPECT_FALSE(h.probeOverdue(399));
  EXPECT_TRUE(h.probeOverdue(400));
  EXPECT_FALSE(h.probeFinished(true));
  EXPECT_FALSE(h.probeDue(999));
  EXPECT_TRUE(h.probeDue(1000));
}

TEST(GatewayHealth, DownAfterFailuresInARowUpAfterSuccessesInARow) {
  GatewayHealth h(policy());
  int64_t t = 0;
  auto probe = [&](bool ok) {
    h.probeSent(t);
    t += 1000;
    return h.probeFinished(ok);
  };
  EXPECT_FALSE(probe(false));
  EXPECT_FALSE(probe(true));  // a success breaks the run of failures
  EXPECT_FALSE(probe(false));
  EXPECT_TRUE(h.up());
  EXPECT_TRUE(probe(false));  // second failure in a row: down
  EXPECT_FALSE(h.up());
  EXPECT_FALSE(probe(true));
  EXPECT_FALSE(probe(true));
  EXPECT_FALSE(probe(false));  // a failure breaks the run of successes
  EXPECT_FALSE(probe(true));
  EXPECT_FALSE(probe(true));
  EXPECT_FALSE(h.up());
  EXPECT_TRUE(probe(true));  // third success in a row: up
  EXPECT_TRUE(h.up());
}

TEST(GatewayHealth, WhichOptionsAnswersShowAServingGateway) {
  EXPECT_TRUE(GatewayHealth::answeredBy(200));
  EXPECT_TRUE(GatewayHealth::answeredBy(404));
  EXPECT_TRUE(GatewayHealth::answeredBy(405));
  EXPECT_FALSE(GatewayHealth::answeredBy(408));
  EXPECT_FALSE(GatewayHealth::answeredBy(500));
  EXPECT_FALSE(GatewayHealth::answeredBy(503));
  EXPECT_FALSE(GatewayHealth::answeredBy(603));
  EXPECT_FALSE(GatewayHealth::answeredBy(180));
}

// A draw that returns the given values in turn.
Draw scripted(std::vector<uint64_t> values) {
  auto shared = std::make_shared<std::vector<uint64_t>>(std::move(values));
  auto next = std::make_shared<size_t>(0);
  return [shared, next](uint64_t) { return (*shared)[(*next)++ % shared->size()]; };
}

TEST(GatewaySelection, PriorityFirstThenWeightSkippingDownOnes) {
  std::vector<GatewayRank> gws{{1, 1, true}, {0, 1, true}, {0, 3, true}, {2, 1, false}};
  // Priority 0 has weights 1 (index 1) and 3 (index 2): total 4. Draw 0 -> index 1 first.
  EXPECT_EQ(orderGateways(gws, scripted({0, 0, 0})), (std::vector<size_t>{1, 2, 0}));
  // Draw 1..3 fall in index 2's share.
  EXPECT_EQ(orderGateways(gws, scripted({1, 0, 0})), (std::vector<size_t>{2, 1, 0}));
  EXPECT_EQ(orderGateways(gws, scripted({3, 0, 0})), (std::vector<size_t>{2, 1, 0}));
}

TEST(GatewaySelection, WeightZeroLastAndAllDownIsEmpty) {
  std::vector<GatewayRank> gws{{0, 0, true}, {0, 5, true}};
  EXPECT_EQ(orderGateways(gws, scripted({4})), (std::vector<size_t>{1, 0}));
  std::vector<GatewayRank> down{{0, 1, false}, {1, 1, false}};
  EXPECT_TRUE(orderGateways(down, scripted({0})).empty());
}

TEST(GatewaySelection, WeightsShareCallsInProportion) {
  std::vector<GatewayRank> gws{{0, 1, true}, {0, 3, true}};
  int first[2] = {0, 0};
  uint64_t n = 0;
  // Every first pick sweeps 0..3 evenly (the second pick has one gateway left: bound 1).
  Draw sweep = [&n](uint64_t bound) { return bound == 4 ? n++ % 4 : 0; };
  for (int i = 0; i < 400; ++i) ++first[orderGateways(gws, sweep)[0]];
  EXPECT_EQ(first[0], 100);
  EXPECT_EQ(first[1], 300);
}

TEST(GatewayTarget, SetNamesAndRewrites) {
  EXPECT_EQ(gatewaySetOf("sip:+12125550100@carriers"), "carriers");
  EXPECT_EQ(gatewaySetOf("sip:+12125550100@carriers;user=phone"), "carriers");
  EXPECT_EQ(gatewaySetOf("sip:+12125550100@gw.example.internal:5060"), "");
  EXPECT_EQ(gatewaySetOf("sip:+12125550100@127.0.0.1"), "");
  EXPECT_EQ(gatewaySetOf("sip:carriers"), "");
  EXPECT_EQ(gatewaySetOf("sips:+1@carriers"), "");
  EXPECT_EQ(targetThroughGateway("sip:+12125550100@carriers", "10.0.0.1:5080", "tcp"),
            "sip:+12125550100@10.0.0.1:5080;transport=tcp");
  EXPECT_EQ(
      targetThroughGateway("sip:+1@carriers;user=phone;transport=udp?X=1", "10.0.0.1:5060", ""),
      "sip:+1@10.0.0.1:5060;user=phone?X=1");
}

TEST(GatewaySets, CandidatesOfASetFollowHealth) {
  config::GatewaySetSettings s;
  s.failures_before_down = 1;
  s.sets["carriers"] = {config::GatewayEntry{"a", "10.0.0.1", 5060, "", 0, 1},
                        config::GatewayEntry{"b", "10.0.0.2", 5070, "tcp", 1, 1}};
  s.sets["other"] = {config::GatewayEntry{"c", "::1", 5060, "", 0, 1}};
  GatewaySets sets(s);
  ASSERT_EQ(sets.gateways().size(), 3u);
  EXPECT_EQ(sets.gateways()[1].probe_uri, "sip:10.0.0.2:5070;transport=tcp");
  EXPECT_EQ(sets.gateways()[2].host_port, "[::1]:5060");
  Draw zero = [](uint64_t) { return 0; };
  EXPECT_EQ(sets.candidates("carriers", zero), (std::vector<size_t>{0, 1}));
  sets.gateways()[0].health.probeSent(0);
  EXPECT_TRUE(sets.gateways()[0].health.probeFinished(false));
  EXPECT_EQ(sets.candidates("carriers", zero), (std::vector<size_t>{1}));
  EXPECT_EQ(sets.upCount("carriers"), 1u);
  EXPECT_TRUE(sets.candidates("nope", zero).empty());
}

}  // namespace
}  // namespace callmesh::ingress
