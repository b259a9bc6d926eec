// CallControl with fake links: no sockets, no sofia, a manual clock (call_control_test.cpp,
// over_cap_test.cpp).
#pragma once

#include "services/ingress/call_control.h"

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <capnp/message.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "schemas/call.capnp.h"
#include "schemas/limiter.capnp.h"
#include "services/ingress/fake_call_events.h"
#include "shared/codec/capnp_codec.h"
#include "shared/testing/fake_notice_source.h"
#include "shared/testing/fake_request_link.h"
#include "shared/testing/manual_clock.h"

namespace callmesh::ingress::test_fixture {

// The SIP side, recorded: forks start every target; branches stay live until finished().
class FakeSip final : public CallSip {
 public:
  void apply(Call& call, const CallAction& a) override {
    using K = CallAction::Kind;
    switch (a.kind) {
      case K::Fork: {
        const auto& targets = call.machine.plan()->steps[a.step].targets;
        for (size_t t = 0; t < targets.size(); ++t) {
          live_.insert({call.id.call_id, call.machine.branchStarted(a.step, t)});
        }
        done.push_back("fork " + std::to_string(a.step));
        return;
      }
      case K::RejectCaller:
        done.push_back("reject " + std::to_string(a.status) + " " + a.reason);
        return;
      case K::AnswerCaller:
        done.push_back("answer b" + std::to_string(a.branch));
        return;
      case K::CancelBranch:
        done.push_back("cancel b" + std::to_string(a.branch));
        return;
      case K::ByeBothSides:
        done.push_back("bye-both");
        return;
      default:
        return;  // timers and relays: not what these tests look at
    }
  }
  bool settled(const Call& call) const override {
    for (const auto& [id, branch] : live_) {
      if (id == call.id.call_id) return false;
    }
    return true;
  }
  void finished(const Call& call, size_t branch) { live_.erase({call.id.call_id, branch}); }

  std::vector<std::string> done;

 private:
  std::set<std::pair<std::string, size_t>> live_;
};

inline std::vector<uint8_t> grant(bool granted, uint32_t in_use = 1, uint32_t cap = 50) {
  capnp::MallocMessageBuilder mb;
  auto g = mb.initRoot<schema::LimiterReply>().initAcquired();
  g.setGranted(granted);
  g.setInUse(in_use);
  g.setCap(cap);
  return codec::encodeToBytes(mb);
}

inline std::vector<uint8_t> released() {
  capnp::MallocMessageBuilder mb;
  mb.initRoot<schema::LimiterReply>().setReleasedBatch(1);
  return codec::encodeToBytes(mb);
}

inline std::vector<uint8_t> ring(const std::vector<std::string>& uris, uint32_t reusable_for_ms = 0,
                                 uint64_t epoch = 0) {
  capnp::MallocMessageBuilder mb;
  auto d = mb.initRoot<schema::RouteDecision>();
  d.setReusableForMs(reusable_for_ms);
  d.setConfigEpoch(epoch);
  auto plan = d.initRing();
  plan.setRule("test-rule");
  auto step = plan.initSteps(1)[0];
  step.setTimeoutMs(20000);
  auto targets = step.initTargets(static_cast<unsigned>(uris.size()));
  for (size_t i = 0; i < uris.size(); ++i) targets[static_cast<unsigned>(i)].setUri(uris[i]);
  return codec::encodeToBytes(mb);
}

inline std::vector<uint8_t> notice(uint64_t epoch) {
  capnp::MallocMessageBuilder mb;
  mb.initRoot<schema::RoutingNotice>().setConfigEpoch(epoch);
  return codec::encodeToBytes(mb);
}

// The Call-ID an acquire asks a slot for.
inline std::string acquiredCall(const std::vector<uint8_t>& payload) {
  auto req = codec::decode<schema::LimiterRequest>(payload.data(), payload.size(), "request");
  if (!req.ok() || !req.value()->root().isAcquire()) return "";
  return req.value()->root().getAcquire().getCallId();
}

// The (call-id) slots a limiter request gives back: a releaseBatch, or an acquire's releasesFirst.
inline std::vector<std::string> releasesIn(const std::vector<uint8_t>& payload) {
  auto decoded = codec::decode<schema::LimiterRequest>(payload.data(), payload.size(), "request");
  EXPECT_TRUE(decoded.ok());
  std::vector<std::string> ids;
  auto req = decoded.value()->root();
  if (req.isReleaseBatch()) {
    for (auto slot : req.getReleaseBatch()) ids.push_back(slot.getCallId());
  }
  for (auto slot : req.getReleasesFirst()) ids.push_back(slot.getCallId());
  return ids;
}

class CallControlTest : public ::testing::Test {
 protected:
  CallControlTest()
      : metrics_(registry_),
        log_("ingress_test", LogLevel::Error),
        releases_(limiter_, background_, config_.limiter.lease_ms, metrics_, log_, clock_),
        control_(config_, CallLinks{router_, &notices_, limiter_, events_}, releases_, metrics_,
                 log_, clock_, sip_) {
    // The clock stands still in these tests: without this every acquire after the first would
    // wait for a tick. AcquiresWithinTheGatherWindowGoTogetherOnTheTick sets it.
    config_.ingress.acquire_gather_ms = 0;
  }

  Call& offer(const std::string& call_id, schema::CallKind kind = schema::CallKind::VOICE,
              const std::string& dialed = "+15550100") {
    auto fresh = std::make_unique<Call>(CallIdentity{call_id, dialed, "+15550111", kind},
                                        control_.now(), control_.defaultMaxDurationS());
    Call* call = control_.offer(std::move(fresh), {}, "sip:127.0.0.1:5070;transport=udp");
    control_.askLimiterAndRouter(*call, RouteHints{});
    return *call;
  }
  uint64_t lastId(const testing::FakeRequestLink& link) { return link.sent().back().id; }

  config::ClusterConfig config_;
  testing::ManualClock clock_;
  prometheus::Registry registry_;
  IngressMetrics metrics_;
  Logger log_;
  testing::FakeRequestLink router_;
  testing::FakeRequestLink limiter_;
  testing::FakeRequestLink background_;
  testing::FakeNoticeSource notices_;
  FakeCallEvents events_;
  FakeSip sip_;
  SlotReleases releases_;
  CallControl control_;
};

}  // namespace callmesh::ingress::test_fixture
