#include "shared/codec/capnp_codec.h"

#include <gtest/gtest.h>

#include <capnp/message.h>

#include "schemas/call.capnp.h"
#include "schemas/limiter.capnp.h"

namespace callmesh::codec {
namespace {

std::vector<uint8_t> sampleDecision() {
  capnp::MallocMessageBuilder mb;
  auto d = mb.initRoot<schema::RouteDecision>();
  d.setCallId("abc@host");
  auto plan = d.initRing();
  auto steps = plan.initSteps(2);
  auto t0 = steps[0].initTargets(3);
  for (unsigned i = 0; i < 3; ++i) t0[i].setUri("sip:+1555019" + std::to_string(i) + "@127.0.0.1");
  steps[0].setTimeoutMs(20000);
  steps[1].initTargets(1)[0].setUri("sip:+15550199@127.0.0.1:5080");
  plan.setFinalStatus(486);
  plan.setRule("direct_forward");
  auto words = encode(mb);
  auto bytes = words.asBytes();
  return {bytes.begin(), bytes.end()};
}

TEST(CapnpCodec, RoundTripsARingPlan) {
  auto bytes = sampleDecision();
  auto decoded = decode<schema::RouteDecision>(bytes.data(), bytes.size(), "RouteDecision");
  ASSERT_TRUE(decoded.ok()) << decoded.error().describe();
  auto d = decoded.value()->root();
  EXPECT_EQ(std::string(d.getCallId()), "abc@host");
  ASSERT_TRUE(d.isRing());
  auto steps = d.getRing().getSteps();
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].getTargets().size(), 3u);
  EXPECT_EQ(std::string(steps[0].getTargets()[2].getUri()), "sip:+15550192@127.0.0.1");
  EXPECT_EQ(steps[0].getTimeoutMs(), 20000u);
  EXPECT_EQ(d.getRing().getFinalStatus(), 486);
}

TEST(CapnpCodec, DecodesFromMisalignedBuffer) {
  auto bytes = sampleDecision();
  std::vector<uint8_t> shifted(bytes.size() + 3);
  std::memcpy(shifted.data() + 3, bytes.data(), bytes.size());
  auto decoded = decode<schema::RouteDecision>(shifted.data() + 3, bytes.size(), "RouteDecision");
  ASSERT_TRUE(decoded.ok()) << decoded.error().describe();
  EXPECT_EQ(std::string(decoded.value()->root().getCallId()), "abc@host");
}

TEST(CapnpCodec, RejectsTruncatedFrameNamingTheType) {
  auto bytes = sampleDecision();
  auto decoded = decode<schema::RouteDecision>(bytes.data(), bytes.size() - 8, "RouteDecision");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().kind, ErrorKind::InvalidInput);
  EXPECT_EQ(decoded.error().context, "decode RouteDecision");
}

TEST(CapnpCodec, RejectsPartialWord) {
  auto bytes = sampleDecision();
  auto decoded = decode<schema::RouteDecision>(bytes.data(), bytes.size() - 3, "RouteDecision");
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("not a whole number of words"), std::string::npos);
}

TEST(CapnpCodec, RejectsOversizedFrame) {
  std::vector<uint8_t> big(512 * 1024, 0);
  auto decoded = decode<schema::LimiterRequest>(big.data(), big.size(), "LimiterRequest");
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("exceeds limit"), std::string::npos);
}

TEST(CapnpCodec, RejectsEmptyFrame) {
  auto decoded = decode<schema::LimiterRequest>(nullptr, 0, "LimiterRequest");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message, "empty frame");
}

TEST(CapnpCodec, RejectsGarbageWithOutOfBoundsPointer) {
  // Segment table says 1 segment of 1 word; the root pointer points far outside it.
  std::vector<uint8_t> garbage = {0, 0, 0, 0, 1, 0, 0, 0, 0xfc, 0xff, 0xff, 0x7f, 1, 0, 1, 0};
  auto decoded = decode<schema::RouteDecision>(garbage.data(), garbage.size(), "RouteDecision");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().context, "decode RouteDecision");
}

TEST(CapnpCodec, TraversalLimitStopsAmplification) {
  capnp::MallocMessageBuilder mb;
  auto d = mb.initRoot<schema::RouteDecision>();
  auto trace = d.initTrace(2000);
  for (unsigned i = 0; i < 2000; ++i) trace.set(i, std::string(200, 'x'));
  auto words = encode(mb);
  auto bytes = words.asBytes();
  DecodeLimits tight;
  tight.traversal_limit_words = 1000;
  auto decoded = decode<schema::RouteDecision>(bytes.begin(), bytes.size(), "RouteDecision", tight);
  EXPECT_FALSE(decoded.ok());
}

}  // namespace
}  // namespace callmesh::codec
