#include "shared/media/bencode.h"

#include <gtest/gtest.h>

namespace callmesh::media {
namespace {

TEST(Bencode, EncodesCanonicallyWithSortedKeys) {
  BDict d;
  d["sdp"] = "v=0";
  d["command"] = "offer";
  d["flags"] = BList{"inject-DTMF", "trust-address"};
  d["duration"] = 100;
  EXPECT_EQ(encodeBencode(BValue(d)),
            "d7:command5:offer8:durationi100e5:flagsl11:inject-DTMF13:trust-addresse3:sdp3:v=0e");
}

TEST(Bencode, RoundTripsEveryType) {
  BDict inner;
  inner["n"] = int64_t{-42};
  inner["empty"] = "";
  BDict d;
  d["list"] = BList{BValue(1), BValue("two"), BValue(inner), BValue(BList{})};
  d["bin"] = std::string("a\0b", 3);
  auto decoded = decodeBencode(encodeBencode(BValue(d)));
  ASSERT_TRUE(decoded.ok()) << decoded.error().describe();
  EXPECT_EQ(decoded.value(), BValue(d));
}

TEST(Bencode, ReadsAnRtpengineOfferReply) {
  auto v = decodeBencode("d10:recordingsl10:/r/c1.pcape3:sdp8:v=0\r\nm=x6:result2:oke");
  ASSERT_TRUE(v.ok()) << v.error().describe();
  EXPECT_EQ(v->stringAt("result"), "ok");
  EXPECT_EQ(v->stringAt("sdp"), "v=0\r\nm=x");
  ASSERT_NE(v->find("recordings"), nullptr);
  EXPECT_EQ(v->find("recordings")->asList().at(0).asString(), "/r/c1.pcap");
  EXPECT_EQ(v->stringAt("missing"), "");
}

TEST(Bencode, IntegersAtTheirBounds) {
  EXPECT_EQ(decodeBencode("i0e")->asInt(), 0);
  EXPECT_EQ(decodeBencode("i-7e")->asInt(), -7);
  EXPECT_EQ(decodeBencode("i999999999999999999e")->asInt(), 999999999999999999LL);
}

struct Malformed {
  const char* input;
  const char* message;
};

class BencodeMalformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(BencodeMalformed, IsRefusedWithAReason) {
  auto v = decodeBencode(GetParam().input);
  ASSERT_FALSE(v.ok()) << GetParam().input;
  EXPECT_EQ(v.error().kind, ErrorKind::InvalidInput);
  EXPECT_NE(v.error().message.find(GetParam().message), std::string::npos)
      << GetParam().input << " -> " << v.error().describe();
  EXPECT_NE(v.error().context.find("bencode"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, BencodeMalformed,
    ::testing::Values(Malformed{"", "truncated"}, Malformed{"i12", "not closed"},
                      Malformed{"ie", "without digits"}, Malformed{"i-e", "without digits"},
                      Malformed{"i012e", "leading zero"}, Malformed{"i-0e", "negative zero"},
                      Malformed{"i1234567890123456789e", "longer than 18"},
                      Malformed{"5:abc", "truncated string"}, Malformed{"03:abc", "leading zero"},
                      Malformed{"3abc", "not followed by ':'"},
                      Malformed{"9999999999:a", "longer than 9"}, Malformed{"l", "truncated list"},
                      Malformed{"li1e", "truncated list"}, Malformed{"d", "truncated dictionary"},
                      Malformed{"d3:key", "truncated"},
                      Malformed{"di1ei2ee", "key is not a string"},
                      Malformed{"d1:ai1e1:ai2ee", "repeated dictionary key"},
                      Malformed{"x", "unexpected byte"}, Malformed{"i1ei2e", "trailing bytes"},
                      Malformed{"le ", "trailing bytes"}));

TEST(Bencode, BoundsDepthLengthCountAndInput) {
  BencodeLimits limits;
  limits.max_depth = 4;
  limits.max_string = 8;
  limits.max_values = 5;
  limits.max_input = 32;
  EXPECT_TRUE(decodeBencode("llllee"
                            "ee",
                            limits)
                  .ok());
  auto deep = decodeBencode("lllllei1eeeee", limits);
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.error().message.find("nested deeper than 4"), std::string::npos);
  auto longs = decodeBencode("9:123456789", limits);
  ASSERT_FALSE(longs.ok());
  EXPECT_NE(longs.error().message.find("string of 9 bytes (limit 8)"), std::string::npos);
  auto many = decodeBencode("li1ei2ei3ei4ei5ee", limits);
  ASSERT_FALSE(many.ok());
  EXPECT_NE(many.error().message.find("more than 5 values"), std::string::npos);
  auto big = decodeBencode(std::string(33, 'l'), limits);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("input of 33 bytes (limit 32)"), std::string::npos);
}

TEST(Bencode, DefaultDepthBoundStopsARecursionBomb) {
  std::string bomb(60000, 'l');
  auto v = decodeBencode(bomb);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("nested deeper than 16"), std::string::npos);
}

TEST(Bencode, EveryPrefixOfAValidDocumentIsRefusedNotCrashed) {
  std::string doc = "d3:sdp5:v=0\r\n4:tagsl1:ai-3ee6:resultd1:xi1eee";
  ASSERT_TRUE(decodeBencode(doc).ok());
  for (size_t n = 0; n < doc.size(); ++n) {
    EXPECT_FALSE(decodeBencode(doc.substr(0, n)).ok()) << n;
  }
}

}  // namespace
}  // namespace callmesh::media
