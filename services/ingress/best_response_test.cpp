#include "services/ingress/best_response.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace callmesh::ingress {
namespace {

struct Case {
  std::vector<int> statuses;
  int expected;
};

// ctest shows a parameter by how gtest prints it: "486 603 -> 603", not the object's bytes.
void PrintTo(const Case& c, std::ostream* os) {
  for (int s : c.statuses) *os << s << " ";
  *os << "-> " << c.expected;
}

// "486_603_gives_603": stable test names (gtest would otherwise print the object's bytes).
std::string caseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name;
  for (int s : info.param.statuses) name += std::to_string(s) + "_";
  return (name.empty() ? "none_" : name) + "gives_" + std::to_string(info.param.expected);
}

class BestResponseTable : public ::testing::TestWithParam<Case> {};

TEST_P(BestResponseTable, PicksPerRfc3261Section16_7) {
  BestResponse best;
  for (int s : GetParam().statuses) best.add(s);
  EXPECT_EQ(best.status(), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BestResponseTable,
    ::testing::Values(Case{{486}, 486},       // single busy target: caller hears busy
                      Case{{486, 603}, 603},  // a 6xx always wins
                      Case{{503, 486}, 486},  // lowest class wins
                      Case{{503}, 500},       // 503 upstream would blame us: 500
                      Case{{480, 486}, 480},  // first of the same class
                      Case{{}, 480},          // nobody answered: temporarily unavailable
                      Case{{180, 200}, 480},  // non-final/2xx are not candidates
                      Case{{404, 500, 600}, 600}),
    caseName);

TEST(BestResponse, ReasonPhraseMatchesStatus) {
  BestResponse best;
  best.add(486);
  EXPECT_EQ(best.reason(), "Busy Here");
}

}  // namespace
}  // namespace callmesh::ingress
