#include "services/ingress/best_response.h"

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

struct Case {
  std::vector<int> statuses;
  int expected;
};

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
                      Case{{404, 500, 600}, 600}));

TEST(BestResponse, ReasonPhraseMatchesStatus) {
  BestResponse best;
  best.add(486);
  EXPECT_EQ(best.reason(), "Busy Here");
}

}  // namespace
}  // namespace callmesh::ingress
