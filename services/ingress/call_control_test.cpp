// Admission and ringing through CallControl with fake links: no sockets, no sofia, a manual clock.
#include "services/ingress/call_control.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "services/ingress/call_control_fixture.h"

namespace callmesh::ingress {
namespace {

using namespace test_fixture;  // NOLINT(google-build-using-namespace): the fixture's vocabulary

// seed 004_ee4e98a6a7f6781b.txt: over the cap the caller hears busy, once its wait for a freed
// slot (ingress.cap_wait_ms, 200 ms from the INVITE) is over with none freed.
TEST_F(CallControlTest, OverCapIsBusyAndNothingForks) {
  offer("c1");
  ASSERT_EQ(limiter_.sent().size(), 1u);
  ASSERT_EQ(router_.sent().size(), 1u);  // asked in parallel
  ASSERT_TRUE(limiter_.reply(lastId(limiter_), grant(false, 50, 50)));
  EXPECT_TRUE(sip_.done.empty());
  EXPECT_EQ(metrics_.cap_waiting.Value(), 1);
  clock_.advance(199);
  control_.onTick();
  EXPECT_TRUE(sip_.done.empty());
  clock_.advance(1);
  control_.onTick();
  EXPECT_EQ(sip_.done, (std::vector<std::string>{"reject 486 Busy Here"}));
  EXPECT_EQ(metrics_.cap_waits_busy.Value(), 1);
  EXPECT_EQ(metrics_.cap_waiting.Value(), 0);
  EXPECT_EQ(limiter_.sent().size(), 1u);  // asked once: no slot was freed meanwhile
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
