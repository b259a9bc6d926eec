#include "services/router/routing_graph.h"

#include <gtest/gtest.h>

namespace callmesh::router {
namespace {

// seed 003_7e7aa9d90d570bcd.txt: routing that comes back on itself rings forever; the loader finds
// every such loop and names the link that closes it.
TEST(RoutingGraph, Seed003FindsLoops) {
  struct Row {
    const char* name;
    std::vector<std::pair<std::string, std::string>> edges;
    std::vector<std::string> loops;  // joined node paths
  } rows[] = {
      {"chain without loop", {{"A", "B"}, {"B", "C"}}, {}},
      {"self loop", {{"A", "A"}}, {"A>A"}},
      {"two-node loop", {{"A", "B"}, {"B", "A"}}, {"A>B>A"}},
      {"loop reached from outside", {{"T", "A"}, {"A", "B"}, {"B", "C"}, {"C", "A"}}, {"A>B>C>A"}},
      {"diamond is not a loop", {{"T", "A"}, {"T", "B"}, {"A", "C"}, {"B", "C"}}, {}},
  };
  for (const auto& row : rows) {
    RoutingGraph g;
    int line = 1;
    for (const auto& [from, to] : row.edges) g.addEdge(from, to, line++, "no_answer");
    std::vector<std::string> found;
    for (const auto& loop : g.findLoops()) {
      std::string path;
      for (const auto& n : loop.nodes) path += (path.empty() ? "" : ">") + n;
      found.push_back(path);
    }
    EXPECT_EQ(found, row.loops) << row.name;
  }
}

TEST(RoutingGraph, LoopNamesTheClosingEdge) {
  RoutingGraph g;
  g.addEdge("A", "B", 10, "first");
  g.addEdge("B", "A", 20, "second");
  auto loops = g.findLoops();
  ASSERT_EQ(loops.size(), 1u);
  EXPECT_EQ(loops[0].line, 20);
  EXPECT_EQ(loops[0].key, "second");
}

}  // namespace
}  // namespace callmesh::router
