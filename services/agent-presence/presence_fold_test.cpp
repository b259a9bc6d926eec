// planScriptEvents: which calls' events in a batch one `f` transition applies together, and the
// order the batch script sees its entries in.
#include "services/agent-presence/presence_fold.h"

#include <gtest/gtest.h>

namespace callmesh::agent_presence {
namespace {

using Kind = LineEvent::Kind;

LineEvent ev(Kind kind, const std::string& call, const std::string& agent = "") {
  LineEvent e;
  e.kind = kind;
  e.call_id = call;
  e.number = "+15550300";
  e.agent_id = agent;
  return e;
}

// Each entry as "f:1,3" (folded events 1 and 3) or "2" (event 2 alone).
std::vector<std::string> describe(const std::vector<ScriptEvent>& plan) {
  std::vector<std::string> out;
  for (const auto& entry : plan) {
    std::string text = entry.folded ? "f:" : "";
    for (size_t k = 0; k < entry.events.size(); ++k) {
      text += (k ? "," : "") + std::to_string(entry.events[k]);
    }
    out.push_back(text);
  }
  return out;
}

std::vector<size_t> all(const std::vector<LineEvent>& events) {
  std::vector<size_t> out;
  for (size_t i = 0; i < events.size(); ++i) out.push_back(i);
  return out;
}

TEST(PresenceFold, ACallForwardedToAPhoneAndEndedInOneBatchIsOneEntryAtItsEnd) {
  std::vector<LineEvent> events{ev(Kind::Offered, "a"), ev(Kind::Offered, "b"),
                                ev(Kind::Answered, "a"), ev(Kind::Ended, "a"),
                                ev(Kind::Answered, "b")};
  EXPECT_EQ(describe(planScriptEvents(events, all(events))),
            (std::vector<std::string>{"f:0,2,3", "f:1,4"}));
}

TEST(PresenceFold, OfferedAndEndedWithoutAnAnswerFold) {
  std::vector<LineEvent> events{ev(Kind::Offered, "a"), ev(Kind::Ended, "a")};
  EXPECT_EQ(describe(planScriptEvents(events, all(events))), (std::vector<std::string>{"f:0,1"}));
}

TEST(PresenceFold, AnAgentsAnswerOrRingingKeepsEveryEventOfTheCallApart) {
  // An agent's answer changes the agent's counters: its transition runs as it is.
  std::vector<LineEvent> agent{ev(Kind::Offered, "a"), ev(Kind::Answered, "a", "alice"),
                               ev(Kind::Ended, "a")};
  EXPECT_EQ(describe(planScriptEvents(agent, all(agent))),
            (std::vector<std::string>{"0", "1", "2"}));
  std::vector<LineEvent> ringing{ev(Kind::Offered, "a"), ev(Kind::LegRinging, "a", "bob"),
                                 ev(Kind::LegFailed, "a", "bob"), ev(Kind::Ended, "a")};
  EXPECT_EQ(describe(planScriptEvents(ringing, all(ringing))),
            (std::vector<std::string>{"0", "1", "2", "3"}));
}

TEST(PresenceFold, EventsOutOfOrderOrRepeatedAreNotFolded) {
  // The end overtook the offer, an answer after the end, an end redelivered, an offer alone.
  std::vector<LineEvent> events{
      ev(Kind::Ended, "a"), ev(Kind::Offered, "a"),  ev(Kind::Offered, "b"),
      ev(Kind::Ended, "b"), ev(Kind::Answered, "b"), ev(Kind::Offered, "c"),
      ev(Kind::Ended, "c"), ev(Kind::Ended, "c"),    ev(Kind::Offered, "d")};
  EXPECT_EQ(describe(planScriptEvents(events, all(events))),
            (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8"}));
}

TEST(PresenceFold, OnlyTheEventsThatGoToRedisCount) {
  // Event 1 (a leg without an agent) is left out by the ledger: the call still folds.
  std::vector<LineEvent> events{ev(Kind::Offered, "a"), ev(Kind::LegRinging, "a"),
                                ev(Kind::Answered, "a"), ev(Kind::Ended, "a")};
  EXPECT_EQ(describe(planScriptEvents(events, {0, 2, 3})), (std::vector<std::string>{"f:0,2,3"}));
  EXPECT_TRUE(planScriptEvents(events, {}).empty());
}

}  // namespace
}  // namespace callmesh::agent_presence
