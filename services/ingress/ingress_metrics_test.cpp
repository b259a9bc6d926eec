#include <gtest/gtest.h>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "services/ingress/ingress_metrics.h"

namespace callmesh::ingress {
namespace {

// Issue 16 item 7: the method label comes from a fixed set, whatever token a sender invents.
TEST(IngressMetrics, MethodLabelIsOneOfAFixedSet) {
  EXPECT_EQ(IngressMetrics::methodLabel("INVITE"), "INVITE");
  EXPECT_EQ(IngressMetrics::methodLabel("MESSAGE"), "MESSAGE");
  EXPECT_EQ(IngressMetrics::methodLabel("invite"), "other");  // methods are case-sensitive
  EXPECT_EQ(IngressMetrics::methodLabel("NEWMETHOD"), "other");
  EXPECT_EQ(IngressMetrics::methodLabel(""), "other");
}

TEST(IngressMetrics, AThousandInventedMethodsMakeOneSeries) {
  prometheus::Registry registry;
  IngressMetrics metrics(registry);
  for (int i = 0; i < 1000; ++i) metrics.requests("X" + std::to_string(i)).Increment();
  metrics.requests("INVITE").Increment();
  size_t series = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name == "callmesh_ingress_sip_requests_total") series = family.metric.size();
  }
  EXPECT_EQ(series, 2u);
  EXPECT_EQ(metrics.requests("other").Value(), 1000);
}

// The unit tests link no jemalloc: the heap gauges say nothing rather than something false.
// (With jemalloc, the ingress's own /metrics has them: tools/soak/ingress_rss.py reads them.)
TEST(IngressMetrics, HeapGaugesStayEmptyWithoutJemalloc) {
  prometheus::Registry registry;
  IngressMetrics metrics(registry);
  EXPECT_FALSE(metrics.heap.update());
  for (const auto& family : registry.Collect()) {
    if (family.name != "callmesh_ingress_heap_bytes") continue;
    for (const auto& m : family.metric) EXPECT_EQ(m.gauge.value, 0.0);
  }
}

}  // namespace
}  // namespace callmesh::ingress
