#include "services/router/routing_graph.h"

#include <algorithm>

namespace callmesh::router {

void RoutingGraph::addEdge(const std::string& from, const std::string& to, int line,
                           std::string key) {
  edges_[from].push_back(Edge{to, line, std::move(key)});
}

namespace {
enum class Mark { Unseen, OnStack, Done };
}

std::vector<RoutingGraph::Loop> RoutingGraph::findLoops() const {
  std::vector<Loop> loops;
  std::map<std::string, Mark> marks;
  std::vector<std::string> stack;

  // Iterative DFS would avoid deep recursion, but configs are small (hundreds of nodes) and the
  // recursive form keeps the path for the message; depth is bounded by the node count.
  auto visit = [&](auto&& self, const std::string& node) -> void {
    marks[node] = Mark::OnStack;
    stack.push_back(node);
    auto it = edges_.find(node);
    if (it != edges_.end()) {
      for (const auto& e : it->second) {
        Mark m = marks.count(e.to) ? marks[e.to] : Mark::Unseen;
        if (m == Mark::OnStack) {
          auto start = std::find(stack.begin(), stack.end(), e.to);
          Loop loop{{start, stack.end()}, e.line, e.key};
          loop.nodes.push_back(e.to);
          loops.push_back(std::move(loop));
        } else if (m == Mark::Unseen) {
          self(self, e.to);
        }
      }
    }
    stack.pop_back();
    marks[node] = Mark::Done;
  };
  for (const auto& [node, unused] : edges_) {
    if (!marks.count(node) || marks[node] == Mark::Unseen) visit(visit, node);
  }
  return loops;
}

}  // namespace callmesh::router
