#include "shared/codec/availability_names.h"

#include <gtest/gtest.h>

namespace callmesh::codec {
namespace {

TEST(AvailabilityNames, AcceptsExactlyTheFourStoredNames) {
  for (const char* name : {"available", "away", "offline", "dnd"}) {
    EXPECT_TRUE(isAvailabilityName(name)) << name;
  }
  for (const char* name : {"", "busy", "Away", "do_not_disturb", "available "}) {
    EXPECT_FALSE(isAvailabilityName(name)) << name;
  }
}

}  // namespace
}  // namespace callmesh::codec
