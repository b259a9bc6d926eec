// Agent presence against a real redis-server: line state derived from call events (ringing, on a
// call, free again by any path), availability set by agents, and line state rebuilt from the live
// calls in Redis after a restart (seed 004_ee4e98a6a7f6781b.txt: blasts skip busy and
// unavailable agents, so a stuck "on a call" would take an agent out of routing for good).
#include <capnp/message.h>

#include <gtest/gtest.h>

#include "schemas/call.capnp.h"
#include "schemas/presence.capnp.h"
#include "services/agent-presence/presence_ledger.h"
#include "services/agent-presence/presence_service.h"
#include "shared/codec/capnp_codec.h"
#include "shared/redis/hiredis_client.h"
#include "shared/redis/keys.h"
#include "shared/testing/manual_clock.h"
#include "shared/testing/redis_command_stats.h"
#include "shared/testing/redis_server.h"

namespace callmesh::agent_presence {
namespace {

zmq::message_t frame(capnp::MallocMessageBuilder& mb) {
  auto words = codec::encode(mb);
  auto bytes = words.asBytes();
  return zmq::message_t(bytes.begin(), bytes.size());
}

class AgentsPresenceIntegration : public ::testing::Test {
 protected:
  template <typename Fill>
  void event(const std::string& call_id, Fill fill,
             schema::CallKind kind = schema::CallKind::VOICE) {
    capnp::MallocMessageBuilder mb;
    auto ev = mb.initRoot<schema::CallEvent>();
    ev.setEventId("ingress-1:" + std::to_string(++seq_));
    ev.setCallId(call_id);
    ev.setDialed("+15550200");
    ev.setCaller("+15557770001");
    ev.setAtMs(1000 + seq_);
    ev.setKind(kind);
    fill(ev);
    auto msg = frame(mb);
    ASSERT_TRUE(service_.handleCallEvent(msg).ok());
  }
  void leg(schema::Leg::Builder b, const std::string& agent) {
    b.setAgentId(agent);
    b.setNumber("+1555000" + std::to_string(agent.size()));
  }
  AgentRecord agent(const std::string& id) { return ledger_.agents({id}).value().at(0); }

  testing::RedisServer server_;
  redis::HiredisClient client_{{server_.host(), server_.port(), 2000}};
  PresenceLedger ledger_{client_};
  redis::SlotLeaseReader leases_{client_, redis::SlotKeys()};
  PresenceReconciler reconciler_{client_, ledger_, leases_};
  prometheus::Registry registry_;
  PresenceMetrics metrics_{registry_};
  Logger log_{"presence-test", LogLevel::Error};
  testing::ManualClock clock_;
  PresenceService service_{ledger_, reconciler_, client_, {}, clock_, metrics_, log_};
  int seq_ = 0;
};

TEST_F(AgentsPresenceIntegration, RingingThenAnsweredThenEndedFreesEveryone) {
  event("c1", [](auto ev) { ev.setOffered(); });
  event("c1", [&](auto ev) { leg(ev.initLegRinging(), "alice"); });
  event("c1", [&](auto ev) { leg(ev.initLegRinging(), "bob"); });
  event("c1", [&](auto ev) { leg(ev.initLegRinging(), "bob"); });  // redelivered
  EXPECT_EQ(agent("alice").ringing, 1);
  EXPECT_EQ(agent("bob").ringing, 1);
  event("c1", [&](auto ev) { leg(ev.initAnswered(), "bob"); });
  EXPECT_EQ(agent("bob").ringing, 0);
  EXPECT_EQ(agent("bob").on_call, 1);
  EXPECT_EQ(agent("alice").ringing, 1);  // her leg is cancelled at the end at the latest
  event("c1", [&](auto ev) {
    auto e = ev.initEnded();
    e.setAnswered(true);
    e.setReason(schema::EndReason::CALLER_HANGUP);
  });
  EXPECT_EQ(agent("alice").ringing, 0);
  EXPECT_EQ(agent("bob").on_call, 0);
  EXPECT_GT(agent("bob").idle_since_ms, 0);
  EXPECT_EQ(ledger_.numberOnCall("+15550200").value(), 0);
}

TEST_F(AgentsPresenceIntegration, LateAndReorderedEventsNeverLeaveAnAgentStuck) {
  event("c2", [](auto ev) { ev.setOffered(); });
  // The end overtakes the answer and the ringing (a re-sent event arrives late).
  event("c2", [](auto ev) { ev.initEnded().setReason(schema::EndReason::CALLER_CANCEL); });
  event("c2", [&](auto ev) { leg(ev.initLegRinging(), "carol"); });
  event("c2", [&](auto ev) { leg(ev.initAnswered(), "carol"); });
  EXPECT_EQ(agent("carol").ringing, 0);
  EXPECT_EQ(agent("carol").on_call, 0);
  // A failed leg after its ringing frees it; ringing again after the failure does not.
  event("c3", [](auto ev) { ev.setOffered(); });
  event("c3", [&](auto ev) { leg(ev.initLegRinging(), "dave"); });
  event("c3", [&](auto ev) { leg(ev.initLegFailed().initLeg(), "dave"); });
  event("c3", [&](auto ev) { leg(ev.initLegRinging(), "dave"); });
  EXPECT_EQ(agent("dave").ringing, 0);
}

TEST_F(AgentsPresenceIntegration, TextsOccupyNoLine) {
  event(
      "t1", [](auto ev) { ev.setOffered(); }, schema::CallKind::TEXT);
  EXPECT_EQ(ledger_.numberOnCall("+15550200").value(), 0);
}

TEST_F(AgentsPresenceIntegration, AvailabilityIsSetAndQueriedThroughThePresenceMessage) {
  capnp::MallocMessageBuilder mb;
  auto u = mb.initRoot<schema::PresenceRequest>().initUpdate();
  u.setAgentId("erin");
  u.setAvailability(schema::Availability::DO_NOT_DISTURB);
  auto msg = frame(mb);
  auto reply = service_.handlePresence(msg);
  ASSERT_TRUE(reply.ok());
  auto d = codec::decode<schema::PresenceReply>(reply->data(), reply->size(), "PresenceReply");
  ASSERT_TRUE(d.ok());
  auto r = d.value()->root();
  EXPECT_EQ(r.getError().size(), 0u);
  ASSERT_EQ(r.getAgents().size(), 1u);
  EXPECT_EQ(r.getAgents()[0].getAvailability(), schema::Availability::DO_NOT_DISTURB);
  EXPECT_EQ(client_.command({"HGET", "cm:agent:{erin}", "availability"})->text, "dnd");

  capnp::MallocMessageBuilder q;
  auto ids = q.initRoot<schema::PresenceRequest>().initQuery(2);
  ids.set(0, "erin");
  ids.set(1, "never-seen");
  auto qmsg = frame(q);
  auto qreply = service_.handlePresence(qmsg);
  auto qd = codec::decode<schema::PresenceReply>(qreply->data(), qreply->size(), "PresenceReply");
  auto agents = qd.value()->root().getAgents();
  ASSERT_EQ(agents.size(), 2u);
  EXPECT_EQ(agents[1].getAvailability(), schema::Availability::AVAILABLE);  // absent = available
  EXPECT_TRUE(agents[1].getInWorkingHours());
}

TEST_F(AgentsPresenceIntegration, RestartRebuildsLineStateFromTheLiveCalls) {
  // Two live calls with leases, one whose ingress died (no lease, no end event).
  for (const char* c : {"live-1", "live-2", "dead-1"}) {
    event(c, [](auto ev) { ev.setOffered(); });
  }
  event("live-1", [&](auto ev) { leg(ev.initAnswered(), "frank"); });
  event("live-2", [&](auto ev) { leg(ev.initLegRinging(), "frank"); });
  event("dead-1", [&](auto ev) { leg(ev.initAnswered(), "gina"); });
  auto now = client_.command({"TIME"}).value();
  int64_t redis_now_ms = std::stoll(now.elements[0].text) * 1000;
  for (const char* c : {"live-1", "live-2"}) {
    ASSERT_TRUE(
        client_.command({"ZADD", "cm:{+15550200}:slots", std::to_string(redis_now_ms + 60000), c})
            .ok());
  }
  // The process dies mid-update: counters are lost or wrong.
  ASSERT_TRUE(client_.command({"HSET", "cm:agent:{frank}", "on_call", "7", "ringing", "0"}).ok());
  ASSERT_TRUE(client_.command({"DEL", "cm:number:{+15550200}:oncall"}).ok());

  PresenceService restarted(ledger_, reconciler_, client_, {}, clock_, metrics_, log_);
  ASSERT_TRUE(restarted.reconcile(60000).ok());  // grace: dead-1 was offered long ago
  EXPECT_EQ(agent("frank").on_call, 1);
  EXPECT_EQ(agent("frank").ringing, 1);
  EXPECT_EQ(agent("gina").on_call, 0);  // free again
  EXPECT_EQ(ledger_.numberOnCall("+15550200").value(), 2);
  EXPECT_EQ(client_.command({"HGET", redis::presence_keys::call("dead-1"), "state"})->text,
            "ended");
}

// The periodic reconcile reads the live calls only: its cost must not grow with the ended calls
// Redis keeps for their retention (it scanned every record before, and presence's and Redis's CPU
// per call doubled within a minute of load).
TEST_F(AgentsPresenceIntegration, PeriodicReconcileReadsOnlyTheLiveCalls) {
  for (int i = 0; i < 200; ++i) {
    std::string id = "done-" + std::to_string(i);
    event(id, [](auto ev) { ev.setOffered(); });
    event(id, [](auto ev) { ev.initEnded().setReason(schema::EndReason::CALLER_HANGUP); });
  }
  for (const char* c : {"live-1", "dead-1"}) event(c, [](auto ev) { ev.setOffered(); });
  event("live-1", [&](auto ev) { leg(ev.initAnswered(), "hank"); });
  event("dead-1", [&](auto ev) { leg(ev.initAnswered(), "ivy"); });
  auto now = client_.command({"TIME"}).value();
  int64_t redis_now_ms = std::stoll(now.elements[0].text) * 1000;
  ASSERT_TRUE(
      client_
          .command({"ZADD", "cm:{+15550200}:slots", std::to_string(redis_now_ms + 60000), "live-1"})
          .ok());
  ASSERT_TRUE(client_.command({"HSET", "cm:agent:{hank}", "on_call", "5"}).ok());  // drifted
  ASSERT_TRUE(client_.command({"CONFIG", "RESETSTAT"}).ok());

  auto report = reconciler_.run(clock_.nowMs(), 60000, ReconcileScope::LiveSets);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->live_calls, 1);
  EXPECT_EQ(report->stale_calls_ended, 1);
  // Two live-set members read (plus the ended script's own HGETALL of dead-1), none of the 200
  // ended records. Read now: the checks below read agent records with HGETALL too.
  EXPECT_EQ(testing::redisCommandCalls(client_)["hgetall"], 2 + 1);
  EXPECT_EQ(agent("hank").on_call, 1);
  EXPECT_EQ(agent("ivy").on_call, 0);  // dead-1: no lease, offered long ago: ended
  EXPECT_EQ(client_.command({"HGET", redis::presence_keys::call("dead-1"), "state"})->text,
            "ended");
  EXPECT_EQ(ledger_.numberOnCall("+15550200").value(), 1);
}

}  // namespace
}  // namespace callmesh::agent_presence
