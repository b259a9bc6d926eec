#include "services/router/queue_strategy.h"

#include <gtest/gtest.h>

#include "services/router/testing/in_memory_directories.h"

namespace callmesh::router {
namespace {

using testing::InMemoryAgentAvailability;

std::map<std::string, Agent> agents() {
  std::map<std::string, Agent> out;
  for (const char* id : {"a", "b", "c", "d"}) {
    Agent agent;
    agent.id = id;
    agent.uri = std::string("sip:") + id + "@pbx";
    out.emplace(id, agent);
  }
  out["d"].uri.clear();  // no phone
  return out;
}

Queue queue(QueueStrategy s) {
  Queue q;
  q.id = "q";
  q.strategy = s;
  q.agent_ids = {"a", "b", "c"};
  return q;
}

std::string groups(const QueueRing& ring) {
  std::string s;
  for (const auto& g : ring.groups) {
    if (!s.empty()) s += " | ";
    for (size_t i = 0; i < g.size(); ++i) s += (i ? "," : "") + g[i];
  }
  return s;
}

// seed 000_246ae9c7ee9a1def.txt: queue ring strategies over the available agents.
TEST(QueueStrategy, Seed000StrategiesSkipUnavailableAgents) {
  struct Row {
    const char* name;
    QueueStrategy strategy;
    std::map<std::string, std::pair<AgentPresence, int64_t>> presence;
    std::string expected;
  } rows[] = {
      {"ring-all rings everyone in one group", QueueStrategy::RingAll, {}, "a,b,c"},
      {"ring-all skips busy", QueueStrategy::RingAll, {{"b", {AgentPresence::Busy, 0}}}, "a,c"},
      {"round-robin first call starts at the first agent",
       QueueStrategy::RoundRobin,
       {},
       "a | b | c"},
      {"round-robin skips unavailable",
       QueueStrategy::RoundRobin,
       {{"a", {AgentPresence::Unavailable, 0}}},
       "b | c"},
      {"longest-idle: earliest idle first",
       QueueStrategy::LongestIdle,
       {{"a", {AgentPresence::Available, 300}},
        {"b", {AgentPresence::Available, 100}},
        {"c", {AgentPresence::Available, 200}}},
       "b | c | a"},
      {"longest-idle ties keep configured order", QueueStrategy::LongestIdle, {}, "a | b | c"},
      {"nobody available",
       QueueStrategy::RingAll,
       {{"a", {AgentPresence::Busy, 0}},
        {"b", {AgentPresence::Busy, 0}},
        {"c", {AgentPresence::Unavailable, 0}}},
       ""},
  };
  for (const auto& row : rows) {
    InMemoryAgentAvailability presence;
    for (const auto& [id, st] : row.presence) presence.set(id, st.first, st.second);
    QueueCursors cursors;
    QueueRing ring = planQueueRing(queue(row.strategy), agents(), presence, cursors, 0);
    EXPECT_EQ(groups(ring), row.expected) << row.name;
    EXPECT_FALSE(ring.trace.empty());
  }
}

// seed 000_246ae9c7ee9a1def.txt: round-robin moves on one agent per call; the cursor store is
// separate from the (immutable) config.
TEST(QueueStrategy, Seed000RoundRobinRotatesPerCall) {
  InMemoryAgentAvailability presence;
  QueueCursors cursors;
  std::vector<std::string> seen;
  for (int i = 0; i < 4; ++i) {
    seen.push_back(
        groups(planQueueRing(queue(QueueStrategy::RoundRobin), agents(), presence, cursors, 0)));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a | b | c", "b | c | a", "c | a | b", "a | b | c"}));
}

TEST(QueueStrategy, AgentsWithoutPhoneOrOutsideWorkingHoursAreSkipped) {
  auto all = agents();
  all["b"].zone = loadTimeZone("America/New_York").value();
  all["b"].working_hours = WeeklyHours{{DayTimeRange{0x1f, 9 * 60, 17 * 60}}};
  Queue q = queue(QueueStrategy::RingAll);
  q.agent_ids = {"a", "b", "d"};
  InMemoryAgentAvailability presence;
  QueueCursors cursors;
  int64_t sunday = parseRfc3339("2026-11-22T15:00:00Z").value();
  int64_t monday = parseRfc3339("2026-11-23T15:00:00Z").value();
  EXPECT_EQ(groups(planQueueRing(q, all, presence, cursors, sunday)), "a");
  EXPECT_EQ(groups(planQueueRing(q, all, presence, cursors, monday)), "a,b");
}

}  // namespace
}  // namespace callmesh::router
