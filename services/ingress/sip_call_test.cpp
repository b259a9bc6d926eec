// What a live call keeps in the ingress (README "Memory", docs/bench/memory.md): its record stays
// in jemalloc's 896-byte class, and the media record (280 bytes) exists only once the media plane
// handles the call.
#include "services/ingress/sip_call.h"

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

TEST(SipCall, CarriesNoMediaRecordUntilTheMediaPlaneHandlesIt) {
  SipCall call(CallIdentity{"a84b4c76e66710@pc33.example.com", "+15550100", "+15550111"}, 0, 0);
  EXPECT_FALSE(call.hasMedia());
  // Read without one: the Off record, nothing anchored, nothing recorded.
  EXPECT_EQ(call.media().state, CallMedia::State::Off);
  EXPECT_FALSE(call.media().late_offer);
  EXPECT_TRUE(call.media().answered_tag.empty());
  EXPECT_FALSE(call.hasMedia());

  call.mediaState().state = CallMedia::State::Anchored;
  call.mediaState().answered_tag = "1928301774";
  EXPECT_TRUE(call.hasMedia());
  EXPECT_EQ(call.media().state, CallMedia::State::Anchored);
  EXPECT_EQ(call.media().answered_tag, "1928301774");
}

TEST(SipCall, ARecordWithoutMediaFitsJemallocs896ByteClass) {
  // 1,104 bytes with the media record inline took the 1,280-byte class: 384 bytes more per live
  // call, for as long as it is up.
  EXPECT_LE(sizeof(SipCall), 896u);
}

}  // namespace
}  // namespace callmesh::ingress
