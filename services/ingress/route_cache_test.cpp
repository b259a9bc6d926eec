// RouteCache: which router decisions a later call to the same number may be given.
#include "services/ingress/route_cache.h"

#include <gtest/gtest.h>

#include <capnp/message.h>

#include "schemas/call.capnp.h"
#include "shared/codec/capnp_codec.h"

namespace callmesh::ingress {
namespace {

constexpr auto kVoice = schema::CallKind::VOICE;
constexpr auto kText = schema::CallKind::TEXT;
constexpr uint64_t kEpoch = 0x1234;

std::shared_ptr<const RoutePlan> plan(const std::string& uri, uint32_t reusable_for_ms = 10000,
                                      uint64_t epoch = kEpoch) {
  RoutePlan p;
  PlanTarget t;
  t.uri = uri;
  p.steps.push_back(PlanStep{{t}, 20000});
  p.reusable_for_ms = reusable_for_ms;
  p.config_epoch = epoch;
  return std::make_shared<const RoutePlan>(std::move(p));
}

std::string uriOf(const std::shared_ptr<const RoutePlan>& p) {
  return p ? p->steps.at(0).targets.at(0).uri : "none";
}

TEST(RouteCache, AReusablePlanIsGivenToTheNextCallToTheSameNumberOnly) {
  RouteCache cache;
  cache.heard(kEpoch, 0);
  auto decided = plan("sip:a@127.0.0.1");
  cache.offer(kVoice, "+15550100", decided, 0);
  EXPECT_EQ(cache.find(kVoice, "+15550100", 10), decided);  // shared with every call, not copied
  EXPECT_EQ(uriOf(cache.find(kVoice, "+15550101", 10)), "none");  // another number
  EXPECT_EQ(uriOf(cache.find(kText, "+15550100", 10)), "none");   // a text is decided apart
}

TEST(RouteCache, APlanForThisCallOnlyIsNeverKept) {
  RouteCache cache;
  cache.heard(kEpoch, 0);
  cache.offer(kVoice, "+15550100", plan("sip:a@127.0.0.1", /*reusable_for_ms=*/0), 0);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(uriOf(cache.find(kVoice, "+15550100", 1)), "none");
}

TEST(RouteCache, AKeptPlanRunsOutAfterItsReusePeriod) {
  RouteCache cache;
  cache.heard(kEpoch, 0);
  cache.offer(kVoice, "+15550100", plan("sip:a@127.0.0.1", 2000), 0);
  cache.heard(kEpoch, 1000);
  EXPECT_EQ(uriOf(cache.find(kVoice, "+15550100", 1999)), "sip:a@127.0.0.1");
  EXPECT_EQ(uriOf(cache.find(kVoice, "+15550100", 2000)), "none");
}

// The router announces a new epoch the moment a reload is active: no call after that notice gets
// a plan made under the old config.
TEST(RouteCache, ANewConfigEpochForgetsEveryKeptPlan) {
  RouteCache cache;
  cache.heard(kEpoch, 0);
  cache.offer(kVoice, "+15550100", plan("sip:old@127.0.0.1"), 0);
  cache.heard(kEpoch + 1, 5);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(uriOf(cache.find(kVoice, "+15550100", 6)), "none");
  // A decision still made under the old config (a router replica not yet reloaded) is not kept.
  cache.offer(kVoice, "+15550100", plan("sip:old@127.0.0.1", 10000, kEpoch), 7);
  EXPECT_EQ(cache.size(), 0u);
  cache.offer(kVoice, "+15550100", plan("sip:new@127.0.0.1", 10000, kEpoch + 1), 8);
  EXPECT_EQ(uriOf(cache.find(kVoice, "+15550100", 9)), "sip:new@127.0.0.1");
}

TEST(RouteCache, NothingIsReusedBeforeTheFirstNoticeOrAfterNoticesStop) {
  RouteCache cache;
  cache.offer(kVoice, "+15550100", plan("sip:a@127.0.0.1"), 0);  // no notice heard yet
  EXPECT_EQ(cache.size(), 0u);
  cache.heard(kEpoch, 100);
  cache.offer(kVoice, "+15550100", plan("sip:a@127.0.0.1"), 100);
  EXPECT_EQ(uriOf(cache.find(kVoice, "+15550100", 100 + RouteCache::kNoticeFreshMs)),
            "sip:a@127.0.0.1");
  // The router went quiet (gone, or the link is down): its config may have changed unheard.
  EXPECT_EQ(uriOf(cache.find(kVoice, "+15550100", 101 + RouteCache::kNoticeFreshMs)), "none");
  cache.heard(kEpoch, 5000);  // back, same config: the kept plan is good again
  EXPECT_EQ(uriOf(cache.find(kVoice, "+15550100", 5001)), "sip:a@127.0.0.1");
}

TEST(RouteCache, AFullCacheSweepsExpiredPlansAndOtherwiseKeepsNoMore) {
  RouteCache cache(2);
  cache.heard(kEpoch, 0);
  cache.offer(kVoice, "+15550001", plan("sip:1@127.0.0.1", 100), 0);
  cache.offer(kVoice, "+15550002", plan("sip:2@127.0.0.1", 10000), 0);
  cache.offer(kVoice, "+15550003", plan("sip:3@127.0.0.1", 10000), 50);  // full, none expired
  EXPECT_EQ(uriOf(cache.find(kVoice, "+15550003", 50)), "none");
  cache.offer(kVoice, "+15550002", plan("sip:2b@127.0.0.1", 10000), 60);  // replacing is fine
  EXPECT_EQ(uriOf(cache.find(kVoice, "+15550002", 60)), "sip:2b@127.0.0.1");
  cache.offer(kVoice, "+15550003", plan("sip:3@127.0.0.1", 10000), 200);  // 0001 expired
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(uriOf(cache.find(kVoice, "+15550003", 200)), "sip:3@127.0.0.1");
}

TEST(RoutePlan, DecodesARingPlanWithItsReuseTerms) {
  capnp::MallocMessageBuilder mb;
  auto d = mb.initRoot<schema::RouteDecision>();
  d.setCallId("c1");
  d.setReusableForMs(5000);
  d.setConfigEpoch(kEpoch);
  auto ring = d.initRing();
  auto steps = ring.initSteps(2);
  steps[0].setTimeoutMs(20000);
  auto t = steps[0].initTargets(2);
  t[0].setUri("sip:+15550199@127.0.0.1:5080");
  t[0].setNumber("+15550199");
  t[0].setCallerIdNumber("+15550100");
  t[0].setPreventRecording(true);
  t[1].setNumber("+15550198");  // no URI: nothing to ring, left out
  steps[1].initTargets(0);      // an empty step is left out
  ring.setFinalStatus(486);
  ring.setFinalReason("Busy Here");
  ring.setRule("direct_forward");
  ring.setNumber("+15550100");
  auto words = codec::encode(mb);
  auto decoded = decodeRoutePlan(words.asBytes().begin(), words.asBytes().size());
  ASSERT_TRUE(decoded.ok()) << decoded.error().describe();
  const RoutePlan& p = decoded.value();
  EXPECT_FALSE(p.reject);
  ASSERT_EQ(p.steps.size(), 1u);
  ASSERT_EQ(p.steps[0].targets.size(), 1u);
  EXPECT_EQ(p.steps[0].timeout_ms, 20000);
  EXPECT_EQ(p.steps[0].targets[0].leg.number, "+15550199");
  EXPECT_EQ(p.steps[0].targets[0].caller_id_number, "+15550100");
  EXPECT_TRUE(p.steps[0].targets[0].prevent_recording);
  EXPECT_EQ(p.final_status, 486);
  EXPECT_EQ(p.rule, "direct_forward");
  EXPECT_EQ(p.reusable_for_ms, 5000u);
  EXPECT_EQ(p.config_epoch, kEpoch);
}

TEST(RoutePlan, DecodesARejectAndNamesAGarbledFrame) {
  capnp::MallocMessageBuilder mb;
  auto r = mb.initRoot<schema::RouteDecision>().initReject();
  r.setStatus(404);
  r.setReason("Not Found (dialed number does not parse)");
  auto words = codec::encode(mb);
  auto decoded = decodeRoutePlan(words.asBytes().begin(), words.asBytes().size());
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->reject);
  EXPECT_EQ(decoded->reject_status, 404);
  EXPECT_EQ(decoded->reject_reason, "Not Found (dialed number does not parse)");
  EXPECT_EQ(decoded->reusable_for_ms, 0u);  // a router that predates reuse: this call only
  const char garbage[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  auto bad = decodeRoutePlan(garbage, sizeof(garbage));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().describe().find("RouteDecision"), std::string::npos);
}

}  // namespace
}  // namespace callmesh::ingress
