#include <gtest/gtest.h>

#include "shared/phone/e164.h"

namespace callmesh::phone {
namespace {

// Issue 16 item 1: the cap is per number, however the gateway wrote it.
TEST(SlotNumber, OneNumberWrittenAnyWayIsOneSlotNumber) {
  for (const char* written : {"+18889990000", "18889990000", "8889990000", "(888) 999-0000",
                              "+1-888-999-0000", "1.888.999.0000"}) {
    EXPECT_EQ(slotNumberOf(written), "+18889990000") << written;
  }
}

TEST(SlotNumber, ConfiguredFormsAreTakenAsWritten) {
  // E.164 as numbers are configured costs no parse and is never rewritten (the router takes a
  // configured number as written, so the limiter must too).
  EXPECT_EQ(slotNumberOf("+15550100"), "+15550100");
  EXPECT_EQ(slotNumberOf("+442079460000"), "+442079460000");
}

TEST(SlotNumber, WhatIsNotANumberSharesOneBoundedKey) {
  for (const char* text : {"", "alice", "sip-probe", "++1", "12", "*69#"}) {
    EXPECT_EQ(slotNumberOf(text), kNotANumber) << text;
  }
  EXPECT_EQ(slotNumberOf(std::string(500, '1')), kNotANumber);
  EXPECT_EQ(slotNumberOf("+1" + std::string(20, '5')), kNotANumber);
}

TEST(ToE164, ReadsNationalAndTelForms) {
  EXPECT_EQ(toE164("tel:+15550100").value(), "+15550100");
  EXPECT_EQ(toE164("(212) 555-0100").value(), "+12125550100");
  EXPECT_EQ(toE164("020 7946 0000", "GB").value(), "+442079460000");
  EXPECT_FALSE(toE164("not a number").ok());
}

}  // namespace
}  // namespace callmesh::phone
