// Per-trunk metrics (issue 21 item 4): every configured trunk's series exist at 0 from the start,
// labelled with the trunk's configured name, and a refusal counts against the trunk it came from.
#include "services/ingress/trunk_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <map>
#include <string>

namespace callmesh::ingress {
namespace {

config::TrunkSettings trunk(std::string name, std::vector<std::string> sources) {
  config::TrunkSettings t;
  t.name = std::move(name);
  t.sources = std::move(sources);
  return t;
}

// name{labels...} -> value, for one family; labels in the registry's (sorted) order.
std::map<std::string, double> samples(prometheus::Registry& registry, const std::string& family) {
  std::map<std::string, double> out;
  for (const auto& f : registry.Collect()) {
    if (f.name != family) continue;
    for (const auto& m : f.metric) {
      std::string key;
      for (const auto& l : m.label) key += (key.empty() ? "" : ",") + l.name + "=" + l.value;
      out[key] = m.counter.value;
    }
  }
  return out;
}

// Two trunks, carrier-a by a range and pbx-b by one address, with their metrics registered.
class TwoTrunks : public ::testing::Test {
 protected:
  prometheus::Registry registry;
  IngressMetrics metrics{registry};
  TrunkBook book =
      TrunkBook::create({trunk("carrier-a", {"192.0.2.0/24"}), trunk("pbx-b", {"198.51.100.7"})})
          .value();
  TrunkMetrics trunk_metrics{metrics, book};
};

TEST_F(TwoTrunks, EveryTrunksSeriesExistsAtZeroFromTheStart) {
  auto blocked = samples(registry, "callmesh_ingress_trunk_blocked_requests_total");
  EXPECT_EQ(blocked.size(), 8u);  // 2 trunks x 4 reasons, nothing else
  for (const char* t : {"carrier-a", "pbx-b"}) {
    for (const char* r : {"rate_limited", "banned", "new_call_rate", "new_call_banned"}) {
      std::string key = std::string("reason=") + r + ",trunk=" + t;
      ASSERT_EQ(blocked.count(key), 1u) << key;
      EXPECT_EQ(blocked[key], 0);
    }
  }
  auto calls = samples(registry, "callmesh_ingress_trunk_new_calls_total");
  EXPECT_EQ(calls, (std::map<std::string, double>{{"trunk=carrier-a", 0}, {"trunk=pbx-b", 0}}));
}

TEST_F(TwoTrunks, ARefusalCountsAgainstItsOwnTrunkOnly) {
  const Trunk* a = book.identify("192.0.2.10", {});
  const Trunk* b = book.identify("198.51.100.7", {});
  ASSERT_TRUE(a && b);
  for (int i = 0; i < 5; ++i) trunk_metrics.newCall(*a);
  for (int i = 0; i < 3; ++i) trunk_metrics.blocked(*a, TrunkMetrics::Blocked::NewCallRate);
  trunk_metrics.blocked(*a, TrunkMetrics::Blocked::NewCallBanned);
  trunk_metrics.newCall(*b);
  auto blocked = samples(registry, "callmesh_ingress_trunk_blocked_requests_total");
  EXPECT_EQ(blocked["reason=new_call_rate,trunk=carrier-a"], 3);
  EXPECT_EQ(blocked["reason=new_call_banned,trunk=carrier-a"], 1);
  EXPECT_EQ(blocked["reason=rate_limited,trunk=carrier-a"], 0);
  EXPECT_EQ(blocked["reason=new_call_rate,trunk=pbx-b"], 0);
  auto calls = samples(registry, "callmesh_ingress_trunk_new_calls_total");
  EXPECT_EQ(calls, (std::map<std::string, double>{{"trunk=carrier-a", 5}, {"trunk=pbx-b", 1}}));
}

TEST(TrunkMetrics, NoTrunksNoSeries) {
  prometheus::Registry registry;
  IngressMetrics metrics(registry);
  TrunkMetrics trunk_metrics(metrics, TrunkBook::create({}).value());
  EXPECT_TRUE(samples(registry, "callmesh_ingress_trunk_blocked_requests_total").empty());
  EXPECT_TRUE(samples(registry, "callmesh_ingress_trunk_new_calls_total").empty());
}

}  // namespace
}  // namespace callmesh::ingress
