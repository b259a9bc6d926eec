// SlotReleases: every frame it sends to the limiter fits the limiter's frame limit (issue 16).
#include "services/ingress/slot_releases.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "schemas/limiter.capnp.h"
#include "shared/codec/capnp_codec.h"
#include "shared/testing/fake_request_link.h"
#include "shared/testing/manual_clock.h"

namespace callmesh::ingress {
namespace {

class SlotReleasesTest : public ::testing::Test {
 protected:
  SlotReleasesTest()
      : metrics_(registry_),
        log_("ingress_test", LogLevel::Error),
        releases_(limiter_, background_, 30000, metrics_, log_, clock_) {}

  // The slots in one limiter frame, decoded with the limiter's own limits (256 KiB).
  static size_t slotsIn(const std::vector<uint8_t>& frame) {
    auto decoded = codec::decode<schema::LimiterRequest>(frame.data(), frame.size(), "request");
    EXPECT_TRUE(decoded.ok()) << decoded.error().describe();
    if (!decoded.ok()) return 0;
    auto req = decoded.value()->root();
    if (req.isRenew()) return req.getRenew().size();
    if (req.isReleaseBatch()) return req.getReleaseBatch().size();
    return req.getReleasesFirst().size();
  }
  // A Call-ID at the edge bound (ingress.max_call_id_bytes, 256) and the longest E.164 number.
  static std::string callId(size_t i) {
    std::string id = std::to_string(i) + "@";
    return id + std::string(256 - id.size(), 'x');
  }
  static constexpr const char* kLongestNumber = "+123456789012345";

  testing::ManualClock clock_;
  prometheus::Registry registry_;
  IngressMetrics metrics_;
  Logger log_;
  testing::FakeRequestLink limiter_;
  testing::FakeRequestLink background_;
  SlotReleases releases_;
};

TEST_F(SlotReleasesTest, FrameCountIsDerivedFromTheFieldBounds) {
  EXPECT_EQ(SlotReleases::slotsPerFrame(256), 585u);
  EXPECT_EQ(SlotReleases::slotsPerFrame(1024), 178u);
}

// 10,000 live calls with Call-IDs at the bound: renewals in frames the limiter accepts, every
// slot once. (One frame of 10,000 was ~3 MB and refused: the leases lapsed.)
TEST_F(SlotReleasesTest, TenThousandRenewalsGoInFramesUnderTheLimit) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < 10000; ++i) ids.push_back(callId(i));
  std::vector<std::pair<std::string_view, std::string_view>> held;
  for (const auto& id : ids) held.emplace_back(kLongestNumber, id);
  releases_.renew(held);
  ASSERT_EQ(background_.sent().size(), 18u);  // ceil(10000 / 585)
  size_t total = 0;
  for (const auto& sent : background_.sent()) {
    EXPECT_LE(sent.payload.size(), 192u * 1024);
    total += slotsIn(sent.payload);
  }
  EXPECT_EQ(total, 10000u);
}

// The tick leaves a release for the next acquire to carry until it has waited kCarryWaitMs;
// then it goes in a releaseBatch of its own, with everything queued after it.
TEST_F(SlotReleasesTest, TheTickSendsAReleaseNoAcquireCarriedOnceItHasWaited) {
  releases_.queue(kLongestNumber, callId(1));
  clock_.advance(SlotReleases::kCarryWaitMs - 1);
  releases_.queue(kLongestNumber, callId(2));
  releases_.flushOlderThan(SlotReleases::kCarryWaitMs);
  EXPECT_TRUE(limiter_.sent().empty());
  clock_.advance(1);
  releases_.flushOlderThan(SlotReleases::kCarryWaitMs);
  ASSERT_EQ(limiter_.sent().size(), 1u);
  EXPECT_EQ(slotsIn(limiter_.sent()[0].payload), 2u);
  EXPECT_EQ(releases_.waiting(), 0u);
  // Near the cap (and at shutdown) everything goes at once.
  releases_.queue(kLongestNumber, callId(3));
  releases_.flush();
  EXPECT_EQ(limiter_.sent().size(), 2u);
}

TEST_F(SlotReleasesTest, MassHangupReleasesInBoundedFrames) {
  for (size_t i = 0; i < 2000; ++i) releases_.queue(kLongestNumber, callId(i));
  // The next acquire carries at most one frame's worth; the tick sends the rest in batches.
  auto carried = releases_.takePending();
  ASSERT_TRUE(carried);
  EXPECT_EQ(carried->size(), 585u);
  releases_.flush();
  size_t total = carried->size();
  for (const auto& sent : limiter_.sent()) {
    EXPECT_LE(sent.payload.size(), 192u * 1024);
    total += slotsIn(sent.payload);
  }
  EXPECT_EQ(limiter_.sent().size(), 3u);  // 1415 = 585 + 585 + 245
  EXPECT_EQ(total, 2000u);
  EXPECT_EQ(releases_.waiting(), 0u);
}

}  // namespace
}  // namespace callmesh::ingress
