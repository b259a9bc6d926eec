// Seed 003 at load time: no phone we ring is one of our own inbound numbers, and no routing
// chain comes back on itself.

#include "services/router/routing_config_parser.h"
#include "services/router/routing_graph.h"

namespace callmesh::router {

std::string RoutingConfigParser::node(Destination::Kind kind, const std::string& ref) {
  return std::string(destinationKindName(kind)) + " " + ref;
}

void RoutingConfigParser::addDestinationEdge(RoutingGraph& g, const std::string& from,
                                             const std::optional<Destination>& d,
                                             const std::string& key) {
  if (!d || d->kind == Destination::Kind::Hangup) return;
  g.addEdge(from, node(d->kind, d->ref), d->line, key);
}

// seed 003: forwarding to a line that forwards back to us rings forever. Every phone we dial
// must not be one of our own inbound numbers, and no chain of routing may come back on itself.
void RoutingConfigParser::checkLoops() {
  for (const auto& [number, rn] : cfg_.receiving_numbers) {
    phones_.push_back({number, rn.line, rn_keys_.count(number) ? rn_keys_[number] : "number"});
  }
  for (const auto& phone : phones_) {
    auto own = inbound_.find(phone.number);
    if (own != inbound_.end()) {
      errors_.addAtLine(phone.line, phone.key,
                        phone.number + " is our own " + own->second +
                            "; ringing it would loop the call back here (seed 003)");
    }
  }
  RoutingGraph g;
  using K = Destination::Kind;
  auto key = [&](const std::string& node_key, const char* field) {
    auto it = keys_.find(node_key);
    return (it == keys_.end() ? node_key : it->second) + "." + field;
  };
  for (const auto& [number, tn] : cfg_.tracking_numbers) {
    std::string from = "tracking number " + number;
    for (const auto& rn : tn.receiving_numbers) {
      g.addEdge(from, node(K::ReceivingNumber, rn), tn.line,
                key("tracking " + number, "receiving_numbers"));
    }
    addDestinationEdge(g, from, tn.route, key("tracking " + number, "route"));
    addDestinationEdge(g, from, tn.no_answer, key("tracking " + number, "no_answer"));
  }
  for (const auto& [number, rn] : cfg_.receiving_numbers) {
    std::string from = node(K::ReceivingNumber, number);
    addDestinationEdge(g, from, rn.no_answer, key("receiving " + number, "no_answer"));
    if (rn.schedule) {
      addDestinationEdge(g, from, rn.schedule->when_closed,
                         key("receiving " + number, "schedule.when_closed"));
    }
  }
  for (const auto& [id, q] : cfg_.queues) {
    addDestinationEdge(g, node(K::Queue, id), q.no_answer, key("queue " + id, "no_answer"));
  }
  for (const auto& [id, geo] : cfg_.geo_routers) {
    std::string from = node(K::GeoRouter, id);
    for (const auto& [zip, rn] : geo.by_zip) {
      g.addEdge(from, node(K::ReceivingNumber, rn), geo.line, key("geo " + id, "routes"));
    }
    for (const auto& [prefix, rn] : geo.by_prefix) {
      g.addEdge(from, node(K::ReceivingNumber, rn), geo.line, key("geo " + id, "routes"));
    }
    addDestinationEdge(g, from, geo.fallback, key("geo " + id, "default"));
  }
  for (const auto& loop : g.findLoops()) {
    std::string path;
    for (const auto& n : loop.nodes) path += (path.empty() ? "" : " -> ") + n;
    errors_.addAtLine(loop.line, loop.key, "routing loops back on itself: " + path + " (seed 003)");
  }
}

}  // namespace callmesh::router
