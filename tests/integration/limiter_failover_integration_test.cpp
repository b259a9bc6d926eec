// The concurrency-limiter's over-cap protection after a Redis failover that lost slot leases
// (issue 18 item 1, docs/redis-failover.md "Slot leases"), against real redis-servers.
// seed 004_ee4e98a6a7f6781b.txt: a number never has more simultaneous calls than its cap.
//
// Two real servers play the old and the new primary. The new one never had the old one's writes:
// a failover in which Sentinel promoted a replica that had not yet received the acquires (Redis
// replicates asynchronously). testing::FailingOverClient moves from one to the other and counts
// the move in primaryEpoch() as HiredisClient does; the limiter only sees that epoch.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <capnp/message.h>
#include <prometheus/registry.h>

#include "schemas/limiter.capnp.h"
#include "services/concurrency-limiter/limiter_service.h"
#include "shared/codec/capnp_codec.h"
#include "shared/redis/hiredis_client.h"
#include "shared/testing/failing_over_client.h"
#include "shared/testing/manual_clock.h"
#include "shared/testing/redis_server.h"

namespace callmesh::concurrency_limiter {
namespace {

constexpr char kNumber[] = "+15550100";
constexpr int kCap = 3;
constexpr int64_t kLeaseMs = 30000;
constexpr int64_t kHoldMs = 1500;

zmq::message_t frame(capnp::MallocMessageBuilder& mb) {
  auto words = codec::encode(mb);
  auto bytes = words.asBytes();
  return zmq::message_t(bytes.begin(), bytes.size());
}

class LimiterFailover : public ::testing::Test {
 protected:
  testing::RedisServer old_server_, new_server_;
  redis::RedisEndpoint endpointOf(const testing::RedisServer& s) {
    return {s.host(), s.port(), 1000};
  }
  testing::FailingOverClient redis_{endpointOf(old_server_), endpointOf(new_server_)};
  redis::HiredisClient new_primary_{endpointOf(new_server_)};  // what the test reads
  CapPolicy caps_{50, {{kNumber, kCap}}};
  SlotLedger ledger_{redis_, caps_, kLeaseMs};
  prometheus::Registry registry_;
  LimiterMetrics metrics_{registry_, {{kNumber, kCap}}};
  Logger log_{"test", LogLevel::Error};
  testing::ManualClock clock_;
  LimiterService service_{ledger_, metrics_, log_};

  // "granted", "refused" (at the cap), or "failed: <why>" (no answer on the slot).
  std::string acquire(const std::string& call_id) {
    capnp::MallocMessageBuilder mb;
    auto a = mb.initRoot<schema::LimiterRequest>().initAcquire();
    a.setNumber(kNumber);
    a.setCallId(call_id);
    auto reply = decode(service_.handle(frame(mb)));
    if (reply.empty()) return "undecodable";
    return reply;
  }
  // How many of `call_ids` the limiter says are still held.
  int renew(const std::vector<std::string>& call_ids) {
    capnp::MallocMessageBuilder mb;
    auto list =
        mb.initRoot<schema::LimiterRequest>().initRenew(static_cast<unsigned>(call_ids.size()));
    for (unsigned i = 0; i < call_ids.size(); ++i) {
      list[i].setNumber(kNumber);
      list[i].setCallId(call_ids[i]);
    }
    auto out = service_.handle(frame(mb));
    EXPECT_TRUE(out.ok());
    auto r = codec::decode<schema::LimiterReply>(out->data(), out->size(), "LimiterReply");
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(r.value()->root().isRenewed());
    return static_cast<int>(r.value()->root().getRenewed());
  }
  std::string decode(const Result<std::vector<uint8_t>>& out) {
    if (!out.ok()) return "";
    auto r = codec::decode<schema::LimiterReply>(out->data(), out->size(), "LimiterReply");
    if (!r.ok()) return "";
    auto root = r.value()->root();
    if (root.isFailed()) return std::string("failed: ") + root.getFailed().cStr();
    if (!root.isAcquired()) return "other";
    return root.getAcquired().getGranted() ? "granted" : "refused";
  }
  // The number's leases on the new primary, as a count.
  int64_t leasesOnNewPrimary() {
    auto z = new_primary_.command({"ZCARD", ledger_.slotsKey(kNumber)});
    EXPECT_TRUE(z.ok());
    return z.ok() ? z->integer : -1;
  }
  double metric(const std::string& name) {
    for (const auto& family : registry_.Collect()) {
      if (family.name != name) continue;
      double sum = 0;
      for (const auto& m : family.metric) sum += m.counter.value;
      return sum;
    }
    return -1;
  }
  void fillTheCapOnTheOldPrimary() {
    for (int i = 0; i < kCap; ++i) ASSERT_EQ(acquire("live-" + std::to_string(i)), "granted");
    ASSERT_EQ(acquire("over"), "refused");
  }
  std::vector<std::string> liveCalls() const {
    std::vector<std::string> ids;
    for (int i = 0; i < kCap; ++i) ids.push_back("live-" + std::to_string(i));
    return ids;
  }
};

TEST_F(LimiterFailover, NewCallsAreRefusedDuringTheHoldAndRenewalsReaddTheLostLeases) {
  service_.holdAfterFailover(redis_, clock_, kHoldMs);
  fillTheCapOnTheOldPrimary();
  redis_.failOver();  // the new primary has none of the three leases
  ASSERT_EQ(leasesOnNewPrimary(), 0);

  // During the hold: a new call is refused although the new primary counts 0 of 3.
  std::string during = acquire("new-during-hold");
  EXPECT_EQ(during.rfind("failed: refusing new calls", 0), 0u) << during;
  EXPECT_EQ(leasesOnNewPrimary(), 0);
  // The ingress's renewal (every lease_ms / 3) names its live calls: their leases come back.
  EXPECT_EQ(renew(liveCalls()), kCap);
  EXPECT_EQ(leasesOnNewPrimary(), kCap);
  EXPECT_EQ(metric("callmesh_concurrency_limiter_readopted_total"), kCap);
  clock_.advance(kHoldMs - 1);
  EXPECT_EQ(acquire("new-end-of-hold").rfind("failed: refusing new calls", 0), 0u);

  // After the hold: the count is whole, so the number stays at its cap.
  clock_.advance(1);
  EXPECT_EQ(acquire("new-after-hold"), "refused");
  EXPECT_EQ(leasesOnNewPrimary(), kCap);
  // Renewals outside a hold never re-create a lease (it may have been given away meanwhile).
  ASSERT_TRUE(new_primary_.command({"ZREM", ledger_.slotsKey(kNumber), "live-0"}).ok());
  EXPECT_EQ(renew(liveCalls()), kCap - 1);
  EXPECT_EQ(leasesOnNewPrimary(), kCap - 1);
  EXPECT_EQ(acquire("new-after-a-call-ended"), "granted");
  EXPECT_EQ(leasesOnNewPrimary(), kCap);
  EXPECT_EQ(metric("callmesh_concurrency_limiter_redis_failovers_total"), 1);
  EXPECT_EQ(metric("callmesh_concurrency_limiter_failover_holds_total"), 2);
}

// The acquire that itself meets the failover (its command reconnected to the new primary) was
// counted against a set missing the lost leases: its slot is given back and the call refused.
TEST_F(LimiterFailover, AnAcquireThatReachedTheNewPrimaryGivesItsSlotBack) {
  service_.holdAfterFailover(redis_, clock_, kHoldMs);
  fillTheCapOnTheOldPrimary();
  redis_.failOverDuringNextCommand();
  std::string first = acquire("met-the-failover");
  EXPECT_EQ(first.rfind("failed: refusing new calls", 0), 0u) << first;
  EXPECT_EQ(leasesOnNewPrimary(), 0);  // granted on the new primary, then released
  EXPECT_EQ(renew(liveCalls()), kCap);
  clock_.advance(kHoldMs);
  EXPECT_EQ(acquire("after"), "refused");
  EXPECT_EQ(leasesOnNewPrimary(), kCap);
}

// What the hold prevents: with failover_hold_ms 0 the same lost leases let new calls in next to
// the three still in progress, and the renewals cannot add them back (the cap is full).
TEST_F(LimiterFailover, WithoutTheHoldTheLostLeasesAdmitCallsOverTheCap) {
  service_.holdAfterFailover(redis_, clock_, 0);
  fillTheCapOnTheOldPrimary();
  redis_.failOver();
  // Three new calls admitted next to the three still in progress: six live calls, cap three.
  for (int i = 0; i < kCap; ++i) EXPECT_EQ(acquire("new-" + std::to_string(i)), "granted");
  EXPECT_EQ(renew(liveCalls()), 0);  // lost, and not re-created outside a hold
  EXPECT_EQ(leasesOnNewPrimary(), kCap);
  EXPECT_EQ(metric("callmesh_concurrency_limiter_failover_holds_total"), 0);
}

}  // namespace
}  // namespace callmesh::concurrency_limiter
