#include "services/router/geo_router.h"

#include <gtest/gtest.h>

namespace callmesh::router {
namespace {

// seed 000_246ae9c7ee9a1def.txt: "Assign receiving numbers to one or more zip codes within a geo
// router"; the caller's area code is the fallback key, then the router's default.
TEST(GeoRouter, Seed000ChoosesByZipThenAreaCode) {
  GeoRouter geo;
  geo.id = "by_region";
  geo.by_zip = {{"10001", "+12125550170"}, {"94105", "+14155550180"}};
  geo.by_prefix = {{"+1212", "+12125550170"}, {"+1415", "+14155550180"}, {"+1415555", "+1415X"}};
  struct Row {
    const char* zip;
    const char* caller;
    bool matched;
    const char* number;
  } rows[] = {
      {"10001", "+14155550100", true, "+12125550170"},  // ZIP beats the area code
      {"94105-0001", "", true, "+14155550180"},         // ZIP+4
      {"", "+12125550100", true, "+12125550170"},
      {"99999", "+14155550100", true, "+1415X"},  // longest prefix wins
      {"99999", "+14150000000", true, "+14155550180"},
      {"", "+13125550100", false, ""},
      {"", "", false, ""},
  };
  for (const auto& row : rows) {
    GeoChoice c = chooseByCallerLocation(geo, row.zip, row.caller);
    EXPECT_EQ(c.matched, row.matched) << row.zip << " " << row.caller;
    EXPECT_EQ(c.receiving_number, row.number) << c.why;
    EXPECT_FALSE(c.why.empty());
  }
}

}  // namespace
}  // namespace callmesh::router
