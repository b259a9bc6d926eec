// Admission and ringing through CallControl with fake links: no sockets, no sofia, a manual clock.
#include "services/ingress/call_control.h"

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <capnp/message.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "schemas/call.capnp.h"
#include "schemas/limiter.capnp.h"
#include "services/ingress/fake_call_events.h"
#include "shared/codec/capnp_codec.h"
#include "shared/testing/fake_notice_source.h"
#include "shared/testing/fake_request_link.h"
#include "shared/testing/manual_clock.h"

namespace callmesh::ingress {
namespace {

// The SIP side, recorded: forks start every target; branches stay live until finished().
class FakeSip final : public CallSip {
 public:
  void apply(Call& call, const CallAction& a) override {
    using K = CallAction::Kind;
    switch (a.kind) {
      case K::Fork: {
        const auto& targets = call.machine.plan()->steps[a.step].targets;
        for (size_t t = 0; t < targets.size(); ++t) {
          live_.insert({call.id.call_id, call.machine.branchStarted(a.step, t)});
        }
        done.push_back("fork " + std::to_string(a.step));
        return;
      }
      case K::RejectCaller:
        done.push_back("reject " + std::to_string(a.status) + " " + a.reason);
        return;
      case K::AnswerCaller:
        done.push_back("answer b" + std::to_string(a.branch));
        return;
      case K::CancelBranch:
        done.push_back("cancel b" + std::to_string(a.branch));
        return;
      case K::ByeBothSides:
        done.push_back("bye-both");
        return;
      default:
        return;  // timers and relays: not what these tests look at
    }
  }
  bool settled(const Call& call) const override {
    for (const auto& [id, branch] : live_) {
      if (id == call.id.call_id) return false;
    }
    return true;
  }
  void finished(const Call& call, size_t branch) { live_.erase({call.id.call_id, branch}); }

  std::vector<std::string> done;

 private:
  std::set<std::pair<std::string, size_t>> live_;
};

std::vector<uint8_t> grant(bool granted, uint32_t in_use = 1, uint32_t cap = 50) {
  capnp::MallocMessageBuilder mb;
  auto g = mb.initRoot<schema::LimiterReply>().initAcquired();
  g.setGranted(granted);
  g.setInUse(in_use);
  g.setCap(cap);
  return codec::encodeToBytes(mb);
}

std::vector<uint8_t> released() {
  capnp::MallocMessageBuilder mb;
  mb.initRoot<schema::LimiterReply>().setReleasedBatch(1);
  return codec::encodeToBytes(mb);
}

std::vector<uint8_t> ring(const std::vector<std::string>& uris, uint32_t reusable_for_ms = 0,
                          uint64_t epoch = 0) {
  capnp::MallocMessageBuilder mb;
  auto d = mb.initRoot<schema::RouteDecision>();
  d.setReusableForMs(reusable_for_ms);
  d.setConfigEpoch(epoch);
  auto plan = d.initRing();
  plan.setRule("test-rule");
  auto step = plan.initSteps(1)[0];
  step.setTimeoutMs(20000);
  auto targets = step.initTargets(static_cast<unsigned>(uris.size()));
  for (size_t i = 0; i < uris.size(); ++i) targets[static_cast<unsigned>(i)].setUri(uris[i]);
  return codec::encodeToBytes(mb);
}

std::vector<uint8_t> notice(uint64_t epoch) {
  capnp::MallocMessageBuilder mb;
  mb.initRoot<schema::RoutingNotice>().setConfigEpoch(epoch);
  return codec::encodeToBytes(mb);
}

// The Call-ID an acquire asks a slot for.
std::string acquiredCall(const std::vector<uint8_t>& payload) {
  auto req = codec::decode<schema::LimiterRequest>(payload.data(), payload.size(), "request");
  if (!req.ok() || !req.value()->root().isAcquire()) return "";
  return req.value()->root().getAcquire().getCallId();
}

// The (call-id) slots a limiter request gives back: a releaseBatch, or an acquire's releasesFirst.
std::vector<std::string> releasesIn(const std::vector<uint8_t>& payload) {
  auto decoded = codec::decode<schema::LimiterRequest>(payload.data(), payload.size(), "request");
  EXPECT_TRUE(decoded.ok());
  std::vector<std::string> ids;
  auto req = decoded.value()->root();
  if (req.isReleaseBatch()) {
    for (auto slot : req.getReleaseBatch()) ids.push_back(slot.getCallId());
  }
  for (auto slot : req.getReleasesFirst()) ids.push_back(slot.getCallId());
  return ids;
}

class CallControlTest : public ::testing::Test {
 protected:
  CallControlTest()
      : metrics_(registry_),
        log_("ingress_test", LogLevel::Error),
        releases_(limiter_, background_, config_.limiter.lease_ms, metrics_, log_, clock_),
        control_(config_, CallLinks{router_, &notices_, limiter_, events_}, releases_, metrics_,
                 log_, clock_, sip_) {
    // The clock stands still in these tests: without this every acquire after the first would
    // wait for a tick. AcquiresWithinTheGatherWindowGoTogetherOnTheTick sets it.
    config_.ingress.acquire_gather_ms = 0;
  }

  Call& offer(const std::string& call_id, schema::CallKind kind = schema::CallKind::VOICE,
              const std::string& dialed = "+15550100") {
    auto fresh = std::make_unique<Call>(CallIdentity{call_id, dialed, "+15550111", kind},
                                        control_.now(), control_.defaultMaxDurationS());
    Call* call = control_.offer(std::move(fresh), {}, "sip:127.0.0.1:5070;transport=udp");
    control_.askLimiterAndRouter(*call, RouteHints{});
    return *call;
  }
  uint64_t lastId(const testing::FakeRequestLink& link) { return link.sent().back().id; }

  config::ClusterConfig config_;
  testing::ManualClock clock_;
  prometheus::Registry registry_;
  IngressMetrics metrics_;
  Logger log_;
  testing::FakeRequestLink router_;
  testing::FakeRequestLink limiter_;
  testing::FakeRequestLink background_;
  testing::FakeNoticeSource notices_;
  FakeCallEvents events_;
  FakeSip sip_;
  SlotReleases releases_;
  CallControl control_;
};

TEST_F(CallControlTest, OverCapIsBusyAndNothingForks) {
  offer("c1");
  ASSERT_EQ(limiter_.sent().size(), 1u);
  ASSERT_EQ(router_.sent().size(), 1u);  // asked in parallel
  ASSERT_TRUE(limiter_.reply(lastId(limiter_), grant(false, 50, 50)));
  EXPECT_EQ(sip_.done, (std::vector<std::string>{"reject 486 Busy Here"}));
  EXPECT_EQ(router_.cancelled(), (std::vector<uint64_t>{lastId(router_)}));
  EXPECT_FALSE(router_.reply(lastId(router_), ring({"sip:a@127.0.0.1"})));  // no longer wanted
  EXPECT_EQ(metrics_.cap_rejections.Value(), 1);
  EXPECT_EQ(metrics_.held_slots.Value(), 0);
  EXPECT_TRUE(events_.seen.empty());  // never offered to anyone
}

// Issue 16 item 1: the cap counts per E.164 number however it was written; the router still
// reads the dialled text as sent.
TEST_F(CallControlTest, AcquireCarriesTheE164NumberRouterTheDialledText) {
  for (std::string dialed : {"18889990000", "(888) 999-0000", "+18889990000", "sales"}) {
    offer("c-" + dialed, schema::CallKind::VOICE, dialed);
    auto acquire = codec::decode<schema::LimiterRequest>(
        limiter_.sent().back().payload.data(), limiter_.sent().back().payload.size(), "request");
    ASSERT_TRUE(acquire.ok());
    EXPECT_EQ(std::string(acquire.value()->root().getAcquire().getNumber().cStr()),
              dialed == "sales" ? "not-a-number" : "+18889990000")
        << dialed;
    auto route = codec::decode<schema::RouteRequest>(router_.sent().back().payload.data(),
                                                     router_.sent().back().payload.size(), "route");
    ASSERT_TRUE(route.ok());
    EXPECT_EQ(std::string(route.value()->root().getDialed().cStr()), dialed);
    limiter_.reply(lastId(limiter_), grant(true));  // the next call's acquire goes at once
  }
}

TEST_F(CallControlTest, RouterUnreachableIs503AndTheSlotGoesBack) {
  offer("c1");
  limiter_.reply(lastId(limiter_), grant(true));
  EXPECT_EQ(metrics_.held_slots.Value(), 1);
  router_.fail(lastId(router_));
  EXPECT_EQ(sip_.done,
            (std::vector<std::string>{"reject 503 Service Unavailable (router unreachable)"}));
  EXPECT_EQ(metrics_.held_slots.Value(), 0);
  releases_.flush();  // the tick's batch
  ASSERT_EQ(limiter_.sent().size(), 2u);
  EXPECT_EQ(releasesIn(limiter_.sent()[1].payload), (std::vector<std::string>{"c1"}));
}

TEST_F(CallControlTest, LimiterUnreachableIs503AndItsAcquireIsUndone) {
  offer("c1");
  limiter_.fail(lastId(limiter_));
  EXPECT_EQ(
      sip_.done,
      (std::vector<std::string>{"reject 503 Service Unavailable (call limiter unreachable)"}));
  // The limiter may still grant the lost acquire later: a release follows it on the same link.
  releases_.flush();
  ASSERT_EQ(limiter_.sent().size(), 2u);
  EXPECT_EQ(releasesIn(limiter_.sent()[1].payload), (std::vector<std::string>{"c1"}));
}

TEST_F(CallControlTest, RingsOnceAdmittedAndTheEndedCallsSlotRidesTheNextAcquire) {
  Call& call = offer("c1");
  router_.reply(lastId(router_), ring({"sip:a@127.0.0.1", "sip:b@127.0.0.1"}));
  EXPECT_TRUE(sip_.done.empty());  // routed, but no slot yet
  limiter_.reply(lastId(limiter_), grant(true));
  EXPECT_EQ(sip_.done, (std::vector<std::string>{"fork 0"}));
  control_.branchFinal(call, 1, 200, "OK");
  sip_.finished(call, 1);
  EXPECT_EQ(sip_.done, (std::vector<std::string>{"fork 0", "cancel b0", "answer b1"}));
  control_.bye(call, /*from_caller=*/true);
  EXPECT_EQ(events_.seen, (std::vector<std::string>{"offered c1", "answered c1 sip:b@127.0.0.1",
                                                    "ended c1 caller_hangup"}));
  // The offered event names the rule that planned the call (the admins' live-calls view).
  EXPECT_EQ(events_.offered_rules, (std::vector<std::string>{"test-rule"}));
  offer("c2");
  EXPECT_EQ(releasesIn(limiter_.sent().back().payload), (std::vector<std::string>{"c1"}));
  // The cancelled branch's 487 comes last; then the call is freed on the next tick.
  control_.branchFinal(call, 0, 487, "Request Terminated");
  sip_.finished(call, 0);
  control_.reapIfDone(call);
  EXPECT_EQ(control_.calls().count("c1"), 0u);
  EXPECT_EQ(metrics_.active_calls.Value(), 1);  // c2
}

// However the call ends, its slot goes back exactly once.
TEST_F(CallControlTest, SlotReleasedWhenTheCallEndsByAnyPath) {
  struct Ending {
    std::string name;
    void (*end)(CallControl&, Call&);
  };
  std::vector<Ending> endings = {
      {"caller cancel", [](CallControl& c, Call& call) { c.callerCancelled(call); }},
      {"all busy", [](CallControl& c, Call& call) { c.branchFinal(call, 0, 486, "Busy Here"); }},
      {"ring timeout", [](CallControl& c, Call& call) { c.stepTimerFired(call); }},
      {"callee bye",
       [](CallControl& c, Call& call) {
         c.branchFinal(call, 0, 200, "OK");
         c.bye(call, false);
       }},
      {"time limit",
       [](CallControl& c, Call& call) {
         c.branchFinal(call, 0, 200, "OK");
         c.timeLimitReached(call);
       }},
      {"drain", [](CallControl& c, Call&) { c.shutDownAll(); }},
  };
  for (size_t i = 0; i < endings.size(); ++i) {
    std::string id = "call-" + std::to_string(i);
    Call& call = offer(id);
    limiter_.reply(lastId(limiter_), grant(true));
    router_.reply(lastId(router_), ring({"sip:a@127.0.0.1"}));
    endings[i].end(control_, call);
    EXPECT_EQ(metrics_.held_slots.Value(), 0) << endings[i].name;
    releases_.flush();
    EXPECT_EQ(releasesIn(limiter_.sent().back().payload), (std::vector<std::string>{id}))
        << endings[i].name;
    limiter_.reply(lastId(limiter_), released());
    control_.stepTimerFired(call);  // a late timer of an ended call changes nothing
    releases_.flush();
    EXPECT_FALSE(limiter_.waiting(lastId(limiter_))) << endings[i].name << ": released twice";
  }
}

TEST_F(CallControlTest, GrantAfterTheCallerLeftIsGivenBack) {
  Call& call = offer("c1");
  control_.callerCancelled(call);
  limiter_.reply(lastId(limiter_), grant(true));
  EXPECT_EQ(metrics_.held_slots.Value(), 0);
  releases_.flush();
  EXPECT_EQ(releasesIn(limiter_.sent().back().payload), (std::vector<std::string>{"c1"}));
}

TEST_F(CallControlTest, KeptDecisionRingsWithoutAskingTheRouter) {
  notices_.post(notice(7));
  control_.onTick();
  offer("c1");
  router_.reply(lastId(router_), ring({"sip:a@127.0.0.1"}, 60000, 7));
  offer("c2");
  EXPECT_EQ(router_.sent().size(), 1u);                // c2 got the kept decision
  limiter_.reply(limiter_.sent()[0].id, grant(true));  // c1 rings; c2's acquire goes now
  ASSERT_EQ(limiter_.sent().size(), 2u);
  limiter_.reply(limiter_.sent()[1].id, grant(true));
  EXPECT_EQ(sip_.done, (std::vector<std::string>{"fork 0", "fork 0"}));
}

// Acquires go one burst at a time: calls offered while an acquire is in flight wait for its
// answer, then go back to back (one wakeup of the limiter, one Redis round trip for all); a
// caller that left meanwhile is not asked for; the tick sends what waited if the answer is slow.
TEST_F(CallControlTest, AcquiresOfferedWhileOneIsInFlightGoTogetherWhenItIsAnswered) {
  offer("c1");
  offer("c2");
  Call& c3 = offer("c3");
  offer("c4");
  ASSERT_EQ(limiter_.sent().size(), 1u);  // c1's; the others wait for its answer
  control_.callerCancelled(c3);
  limiter_.reply(limiter_.sent()[0].id, grant(true));
  ASSERT_EQ(limiter_.sent().size(), 3u);  // c2 and c4 together; c3 left
  EXPECT_EQ(acquiredCall(limiter_.sent()[1].payload), "c2");
  EXPECT_EQ(acquiredCall(limiter_.sent()[2].payload), "c4");
  offer("c5");  // two in flight: c5 waits
  EXPECT_EQ(limiter_.sent().size(), 3u);
  control_.onTick();  // the answers are slow: it waits no longer than a tick
  ASSERT_EQ(limiter_.sent().size(), 4u);
  EXPECT_EQ(acquiredCall(limiter_.sent()[3].payload), "c5");
}

// ingress.acquire_gather_ms: an acquire within the window of the last one waits for the tick even
// with nothing in flight, so a steady 500 calls/s forms bursts too; a call after a quiet spell
// (longer than the window) is asked for at once, as without the setting.
TEST_F(CallControlTest, AcquiresWithinTheGatherWindowGoTogetherOnTheTick) {
  config_.ingress.acquire_gather_ms = 8;
  offer("c1");
  ASSERT_EQ(limiter_.sent().size(), 1u);  // the first after a quiet spell: at once
  limiter_.reply(limiter_.sent()[0].id, grant(true));
  clock_.advance(2);
  offer("c2");
  clock_.advance(2);
  offer("c3");
  EXPECT_EQ(limiter_.sent().size(), 1u);  // nothing in flight, but within 8 ms of c1's
  control_.onTick();
  ASSERT_EQ(limiter_.sent().size(), 3u);  // together, in arrival order
  EXPECT_EQ(acquiredCall(limiter_.sent()[1].payload), "c2");
  EXPECT_EQ(acquiredCall(limiter_.sent()[2].payload), "c3");
  limiter_.reply(limiter_.sent()[1].id, grant(true));
  limiter_.reply(limiter_.sent()[2].id, grant(true));
  clock_.advance(8);
  offer("c4");  // 8 ms after the last went out: at once
  ASSERT_EQ(limiter_.sent().size(), 4u);
  EXPECT_EQ(acquiredCall(limiter_.sent()[3].payload), "c4");
  // An answer arriving inside the window does not send what waits: the tick does.
  offer("c5");
  limiter_.reply(limiter_.sent()[3].id, grant(true));
  EXPECT_EQ(limiter_.sent().size(), 4u);
  control_.onTick();
  ASSERT_EQ(limiter_.sent().size(), 5u);
  EXPECT_EQ(acquiredCall(limiter_.sent()[4].payload), "c5");
}

TEST_F(CallControlTest, TextNeedsNoSlotAndRingsEveryTarget) {
  Call& text = offer("t1", schema::CallKind::TEXT);
  EXPECT_TRUE(limiter_.sent().empty());
  router_.reply(lastId(router_), ring({"sip:a@127.0.0.1", "sip:b@127.0.0.1"}));
  EXPECT_EQ(sip_.done, (std::vector<std::string>{"fork 0"}));
  control_.branchFinal(text, 0, 200, "OK");
  // A MESSAGE cannot be cancelled: the other target is left to run out.
  EXPECT_EQ(sip_.done, (std::vector<std::string>{"fork 0"}));
  EXPECT_EQ(events_.seen.back(), "ended t1 delivered");
}

}  // namespace
}  // namespace callmesh::ingress
