#pragma once

#include <map>
#include <string>
#include <vector>

namespace callmesh::router {

// The "where can a call go next" graph of a routing config, for loop detection at load time
// (seed 003: ringing a line that forwards back to us rings forever). Nodes are names like
// "tracking +15550100" or "queue sales"; an edge records the config line and key that created it
// so the error points at the link that closes the loop.
class RoutingGraph {
 public:
  struct Edge {
    std::string to;
    int line = 0;
    std::string key;
  };
  struct Loop {
    std::vector<std::string> nodes;  // first == last
    int line = 0;                    // the edge that closes the loop
    std::string key;
  };

  void addEdge(const std::string& from, const std::string& to, int line, std::string key);
  // Every loop reachable in the graph, one per closing edge, in a deterministic order.
  std::vector<Loop> findLoops() const;

 private:
  std::map<std::string, std::vector<Edge>> edges_;
};

}  // namespace callmesh::router
