// Bounds on inbound TCP/TLS connections (issue 21 item 1): first-message deadline, per source,
// in total.
#include "services/ingress/connection_bounds.h"

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

config::ConnectionBoundSettings settings(int total, int per_source, int first_ms) {
  config::ConnectionBoundSettings s;
  s.max_connections = total;
  s.max_connections_per_source = per_source;
  s.first_message_timeout_ms = first_ms;
  return s;
}

std::vector<std::string> peers(const std::vector<ConnectionBounds::Cut>& cuts) {
  std::vector<std::string> out;
  for (const auto& c : cuts) out.push_back(c.peer + " " + c.reason);
  return out;
}

TEST(ConnectionBounds, SilentConnectionIsCutAfterTheFirstMessageDeadline) {
  ConnectionBounds b(settings(100, 10, 5000));
  std::vector<OpenConnection> open{{7, "192.0.2.1", 40000}, {8, "192.0.2.2", 40001}};
  EXPECT_TRUE(b.sweep(open, 1000).empty());
  b.delivered("192.0.2.2", 40001, 1500);  // sent its INVITE
  EXPECT_TRUE(b.sweep(open, 5999).empty());
  auto cuts = b.sweep(open, 6000);
  ASSERT_EQ(cuts.size(), 1u);
  EXPECT_EQ(cuts[0].fd, 7);
  EXPECT_EQ(peers(cuts), std::vector<std::string>{"192.0.2.1:40000 first_message_timeout"});
  // The cut connection is gone at the next sweep; the working one stays whatever its age.
  EXPECT_TRUE(b.sweep({{8, "192.0.2.2", 40001}}, 600000).empty());
  EXPECT_EQ(b.tracked(), 1u);
}

TEST(ConnectionBounds, PerSourceCutsTheNewestSilentOnesFirst) {
  ConnectionBounds b(settings(100, 2, 60000));
  std::vector<OpenConnection> open{{10, "198.51.100.7", 1}};
  b.sweep(open, 0);
  b.delivered("198.51.100.7", 1, 10);
  open.push_back({11, "198.51.100.7", 2});
  b.sweep(open, 100);
  open.push_back({12, "198.51.100.7", 3});
  open.push_back({13, "198.51.100.8", 4});  // another source: its own count
  b.delivered("198.51.100.7", 3, 150);      // the newest one is working, the middle one silent
  auto cuts = b.sweep(open, 200);
  EXPECT_EQ(peers(cuts), std::vector<std::string>{"198.51.100.7:2 per_source"});
}

TEST(ConnectionBounds, TotalBoundAcrossSources) {
  ConnectionBounds b(settings(2, 10, 60000));
  std::vector<OpenConnection> open{{3, "10.0.0.1", 1}, {4, "10.0.0.2", 1}};
  b.delivered("10.0.0.1", 1, 0);
  b.delivered("10.0.0.2", 1, 0);
  b.sweep(open, 0);
  open.push_back({5, "10.0.0.3", 1});
  open.push_back({6, "10.0.0.4", 1});
  auto cuts = b.sweep(open, 10);
  EXPECT_EQ(peers(cuts), (std::vector<std::string>{"10.0.0.3:1 total", "10.0.0.4:1 total"}));
}

TEST(ConnectionBounds, DeliveriesFromClosedConnectionsAreForgotten) {
  ConnectionBounds b(settings(10, 10, 1000));
  for (int port = 1; port <= 50; ++port) b.delivered("10.0.0.9", port, 0);
  EXPECT_EQ(b.tracked(), 50u);
  b.sweep({}, 10);
  EXPECT_EQ(b.tracked(), 0u);
}

}  // namespace
}  // namespace callmesh::ingress
