// seed 002_39a4312a6c94260d.txt, "How do you define outbound numbers for a project?": every
// clause of the number selection logic, one table row (or more) each.
#include "services/router/outbound_caller_id.h"

#include <gtest/gtest.h>

#include <functional>

#include "services/router/phone_number.h"
#include "services/router/testing/sequence_random_source.h"

namespace callmesh::router {
namespace {

using testing::SequenceRandomSource;

// The project's numbers, in this order (random index 0..3).
constexpr const char* kNewYork = "+12127365000";      // area +1212, US
constexpr const char* kChicago = "+13122223333";      // area +1312, US
constexpr const char* kLondon = "+442079460018";      // area +4420, GB
constexpr const char* kManchester = "+441614960000";  // area +44161, GB
// Not the project's, but one of ours (another project's).
constexpr const char* kOtherProjects = "+12127365099";
// Callees.
constexpr const char* kNewYorkLandline = "+12127360000";  // NANP: FIXED_LINE_OR_MOBILE, +1212
constexpr const char* kSanFrancisco = "+14155550180";     // US, area +1415: no number there
constexpr const char* kLondonLandline = "+442079460099";  // FIXED_LINE, +4420
constexpr const char* kLeedsLandline = "+441134960000";   // FIXED_LINE, +44113: GB, no area match
constexpr const char* kUkMobile = "+447400123456";        // MOBILE: not a landline
constexpr const char* kParisLandline = "+33142685300";    // FIXED_LINE, FR: no number in FR

OutboundProject project(FirstCallNumber first = FirstCallNumber::Random,
                        LaterCallNumber later = LaterCallNumber::Random) {
  OutboundProject p;
  p.id = "renewals";
  for (const char* n : {kNewYork, kChicago, kLondon, kManchester}) {
    NumberGeography g = geographyOf(n);
    p.numbers.push_back(OutboundNumber{n, g.region_code, g.area_code});
  }
  p.first_call = first;
  p.later_default = later;
  return p;
}

const std::set<std::string>& ourNumbers() {
  static const std::set<std::string> numbers{kNewYork, kChicago, kLondon, kManchester,
                                             kOtherProjects};
  return numbers;
}

ContactHistory laterAttempt(int64_t attempts, std::vector<std::string> used = {},
                            std::string outcome = "") {
  ContactHistory h;
  h.attempts = attempts;
  h.used = std::move(used);
  h.last_outcome = std::move(outcome);
  return h;
}

struct Case {
  const char* clause;  // the words of seed 002 this row proves
  OutboundProject project;
  OutboundCall call;
  ContactHistory history;
  std::vector<size_t> picks;  // what "random" answers
  std::string number;
  CallerIdSource source;
  std::vector<size_t> drawn_from;  // candidate counts random was asked about
};

OutboundCall to(const char* callee, std::string agent_number = "", std::string outcome = "") {
  return OutboundCall{callee, "alice", std::move(agent_number), std::move(outcome)};
}

OutboundProject with(OutboundProject p, std::function<void(OutboundProject&)> change) {
  change(p);
  return p;
}

class OutboundCallerIdTable : public ::testing::TestWithParam<Case> {};

TEST_P(OutboundCallerIdTable, ChoosesTheNumberTheSeedAsksFor) {
  const Case& c = GetParam();
  SequenceRandomSource random(c.picks);
  CallerIdChoice choice =
      chooseOutboundCallerId(c.project, c.call, c.history, ourNumbers(), random);
  std::string trace;
  for (const auto& line : choice.trace) trace += "\n  " + line;
  EXPECT_EQ(choice.number, c.number) << c.clause << trace;
  EXPECT_EQ(callerIdSourceName(choice.source), std::string(callerIdSourceName(c.source)))
      << c.clause << trace;
  EXPECT_EQ(random.asked(), c.drawn_from) << c.clause << trace;
}

INSTANTIATE_TEST_SUITE_P(
    Seed002, OutboundCallerIdTable,
    ::testing::Values(
        // --- Number for the first call -------------------------------------------------------
        Case{"002_39a4312a6c94260d.txt: \"Click to select the number to use\" (fixed)",
             with(project(FirstCallNumber::Fixed), [](auto& p) { p.fixed_number = kChicago; }),
             to(kSanFrancisco),
             {},
             {},
             kChicago,
             CallerIdSource::Fixed,
             {}},
        Case{"002_39a4312a6c94260d.txt: \"Random. Each call will be assigned a random outgoing "
             "number from the list of selected numbers\"",
             project(FirstCallNumber::Random),
             to(kNewYorkLandline),
             {},
             {2},
             kLondon,
             CallerIdSource::Random,
             {4}},
        Case{"002_39a4312a6c94260d.txt: \"Regionally random ... if calling a landline, the "
             "random selected number will try to match to the region\": same area code",
             project(FirstCallNumber::Regional),
             to(kNewYorkLandline),
             {},
             {0},
             kNewYork,
             CallerIdSource::Regional,
             {}},  // one number in +1212: no draw needed
        Case{"002_39a4312a6c94260d.txt: regionally random, landline in London: area +4420",
             project(FirstCallNumber::Regional),
             to(kLondonLandline),
             {},
             {3},
             kLondon,
             CallerIdSource::Regional,
             {}},
        Case{"002_39a4312a6c94260d.txt: regionally random, landline in Leeds: no number in "
             "+44113, so random among the region's (GB) numbers",
             project(FirstCallNumber::Regional),
             to(kLeedsLandline),
             {},
             {1},
             kManchester,
             CallerIdSource::Regional,
             {2}},
        Case{"002_39a4312a6c94260d.txt: regionally random, US landline with no number in its "
             "area: random among the US numbers",
             project(FirstCallNumber::Regional),
             to(kSanFrancisco),
             {},
             {1},
             kChicago,
             CallerIdSource::Regional,
             {2}},
        Case{"002_39a4312a6c94260d.txt: regionally random \"still ... assigned randomly\": a "
             "mobile callee is not matched to a region",
             project(FirstCallNumber::Regional),
             to(kUkMobile),
             {},
             {0},
             kNewYork,
             CallerIdSource::Regional,
             {4}},
        Case{"002_39a4312a6c94260d.txt: regionally random \"will try to match\": no number in the "
             "landline's region (FR) falls back to all numbers",
             project(FirstCallNumber::Regional),
             to(kParisLandline),
             {},
             {3},
             kManchester,
             CallerIdSource::Regional,
             {4}},
        // --- Keep the number used in the previous call to a contact ----------------------------
        Case{"002_39a4312a6c94260d.txt: \"Keep the number used in the previous call to a "
             "contact\": called before by another project, with a number not in this project",
             with(project(FirstCallNumber::Fixed),
                  [](auto& p) {
                    p.fixed_number = kChicago;
                    p.keep_number_with_contact = true;
                  }),
             to(kSanFrancisco),
             [] {
               ContactHistory h;
               h.last_number = kOtherProjects;
               h.last_project = "collections";
               return h;
             }(),
             {},
             kOtherProjects,
             CallerIdSource::Kept,
             {}},
        Case{"002_39a4312a6c94260d.txt: keep number, but the contact was never called: the "
             "first-call setting applies",
             with(project(FirstCallNumber::Fixed),
                  [](auto& p) {
                    p.fixed_number = kChicago;
                    p.keep_number_with_contact = true;
                  }),
             to(kSanFrancisco),
             {},
             {},
             kChicago,
             CallerIdSource::Fixed,
             {}},
        Case{"002_39a4312a6c94260d.txt: keep number unticked: the previous number is ignored",
             with(project(FirstCallNumber::Fixed), [](auto& p) { p.fixed_number = kChicago; }),
             to(kSanFrancisco),
             [] {
               ContactHistory h;
               h.last_number = kOtherProjects;
               return h;
             }(),
             {},
             kChicago,
             CallerIdSource::Fixed,
             {}},
        Case{"002_39a4312a6c94260d.txt: keep number, but that number is no longer ours",
             with(project(FirstCallNumber::Fixed),
                  [](auto& p) {
                    p.fixed_number = kChicago;
                    p.keep_number_with_contact = true;
                  }),
             to(kSanFrancisco),
             [] {
               ContactHistory h;
               h.last_number = "+12125550199";
               return h;
             }(),
             {},
             kChicago,
             CallerIdSource::Fixed,
             {}},
        Case{"002_39a4312a6c94260d.txt: keeping the number is a first-call rule; a later call "
             "uses the default logic",
             with(project(FirstCallNumber::Fixed, LaterCallNumber::Random),
                  [](auto& p) {
                    p.fixed_number = kChicago;
                    p.keep_number_with_contact = true;
                  }),
             to(kSanFrancisco),
             [] {
               ContactHistory h = laterAttempt(1);
               h.last_number = kOtherProjects;
               return h;
             }(),
             {3},
             kManchester,
             CallerIdSource::Random,
             {4}},
        // --- Calls after the first: outcomes, then the default logic --------------------------
        Case{"002_39a4312a6c94260d.txt: \"the project's outcomes might decide which number should "
             "be used for the next call\" (outcome recorded in the history)",
             with(project(FirstCallNumber::Fixed),
                  [](auto& p) {
                    p.fixed_number = kChicago;
                    p.by_outcome = {{"callback_requested", kLondon}};
                  }),
             to(kSanFrancisco),
             laterAttempt(1, {kChicago}, "callback_requested"),
             {},
             kLondon,
             CallerIdSource::Outcome,
             {}},
        Case{"002_39a4312a6c94260d.txt: outcome reported by the agent's dialer with the call wins "
             "over the recorded one",
             with(project(),
                  [](auto& p) {
                    p.by_outcome = {{"callback_requested", kLondon}, {"voicemail", kNewYork}};
                  }),
             to(kSanFrancisco, "", "voicemail"),
             laterAttempt(1, {}, "callback_requested"),
             {},
             kNewYork,
             CallerIdSource::Outcome,
             {}},
        Case{"002_39a4312a6c94260d.txt: \"If the previous outcome did not specify an outbound "
             "number\": default logic",
             with(project(),
                  [](auto& p) {
                    p.by_outcome = {{"callback_requested", kLondon}};
                  }),
             to(kSanFrancisco),
             laterAttempt(1, {}, "no_answer"),
             {1},
             kChicago,
             CallerIdSource::Random,
             {4}},
        Case{"002_39a4312a6c94260d.txt: \"or if the number selected is not available to the "
             "project any more\": default logic",
             with(project(),
                  [](auto& p) {
                    p.by_outcome = {{"callback_requested", "+12125550199"}};
                  }),
             to(kSanFrancisco),
             laterAttempt(2, {}, "callback_requested"),
             {0},
             kNewYork,
             CallerIdSource::Random,
             {4}},
        Case{"002_39a4312a6c94260d.txt: default \"Random\"",
             project(),
             to(kLondonLandline),
             laterAttempt(3),
             {2},
             kLondon,
             CallerIdSource::Random,
             {4}},
        Case{"002_39a4312a6c94260d.txt: default \"Different number for each contact attempt\": "
             "drawn among the numbers not yet used with the contact",
             project(FirstCallNumber::Random, LaterCallNumber::DifferentEachAttempt),
             to(kSanFrancisco),
             laterAttempt(2, {kNewYork, kLondon}),
             {1},
             kManchester,
             CallerIdSource::DifferentEachAttempt,
             {2}},
        Case{"002_39a4312a6c94260d.txt: different number for each attempt: one number left",
             project(FirstCallNumber::Random, LaterCallNumber::DifferentEachAttempt),
             to(kSanFrancisco),
             laterAttempt(3, {kNewYork, kLondon, kManchester}),
             {},
             kChicago,
             CallerIdSource::DifferentEachAttempt,
             {}},
        Case{"002_39a4312a6c94260d.txt: default \"Regionally random\" for later calls",
             project(FirstCallNumber::Fixed, LaterCallNumber::Regional),
             to(kLeedsLandline),
             laterAttempt(1),
             {0},
             kLondon,
             CallerIdSource::Regional,
             {2}},
        // --- Agent outbound numbers ------------------------------------------------------------
        Case{"002_39a4312a6c94260d.txt: \"Use agent number if you want the agent's phone number "
             "to override the number selection logic\"",
             with(project(FirstCallNumber::Fixed),
                  [](auto& p) {
                    p.fixed_number = kChicago;
                    p.keep_number_with_contact = true;
                    p.agent_number_overrides = true;
                  }),
             to(kSanFrancisco, "+12127365050"),
             [] {
               ContactHistory h;
               h.last_number = kOtherProjects;
               return h;
             }(),
             {},
             "+12127365050",
             CallerIdSource::Agent,
             {}},
        Case{"002_39a4312a6c94260d.txt: \"Use project number if you want the project settings to "
             "override the agent's number\"",
             with(project(FirstCallNumber::Fixed), [](auto& p) { p.fixed_number = kChicago; }),
             to(kSanFrancisco, "+12127365050"),
             {},
             {},
             kChicago,
             CallerIdSource::Fixed,
             {}},
        Case{"002_39a4312a6c94260d.txt: agent number overrides, but the agent has none: the "
             "project's logic",
             with(project(FirstCallNumber::Fixed),
                  [](auto& p) {
                    p.fixed_number = kChicago;
                    p.agent_number_overrides = true;
                  }),
             to(kSanFrancisco),
             {},
             {},
             kChicago,
             CallerIdSource::Fixed,
             {}}));

// seed 002: "Each call to a contact will use a different outbound number when possible": four
// attempts use four numbers, and the fifth starts a new round without repeating the fourth.
TEST(OutboundCallerId, DifferentNumberForEachAttemptCoversEveryNumberBeforeRepeating) {
  OutboundProject p = project(FirstCallNumber::Fixed, LaterCallNumber::DifferentEachAttempt);
  p.fixed_number = kNewYork;
  SequenceRandomSource random({0, 0, 0, 0, 0, 0});
  ContactHistory h;
  std::vector<std::string> numbers;
  for (int attempt = 0; attempt < 6; ++attempt) {
    CallerIdChoice c = chooseOutboundCallerId(p, to(kSanFrancisco), h, ourNumbers(), random);
    numbers.push_back(c.number);
    h.attempts++;
    h.used = c.used;
  }
  EXPECT_EQ(numbers, (std::vector<std::string>{kNewYork, kChicago, kLondon, kManchester, kNewYork,
                                               kChicago}));
  // After the round closed with Manchester the new round started from it, so the fifth call
  // could not repeat it.
  EXPECT_EQ(h.used, (std::vector<std::string>{kManchester, kNewYork, kChicago}));
}

TEST(OutboundCallerId, DifferentNumberForEachAttemptWithOneNumberKeepsIt) {
  OutboundProject p = project(FirstCallNumber::Random, LaterCallNumber::DifferentEachAttempt);
  p.numbers.resize(1);
  SequenceRandomSource random;
  ContactHistory h = laterAttempt(1, {kNewYork});
  CallerIdChoice c = chooseOutboundCallerId(p, to(kSanFrancisco), h, ourNumbers(), random);
  EXPECT_EQ(c.number, kNewYork);
  EXPECT_EQ(c.used, (std::vector<std::string>{kNewYork}));
}

// The trace explains the choice in words an operator can follow (RouteDecision.trace).
TEST(OutboundCallerId, TraceSaysWhyTheNumberWasChosen) {
  OutboundProject p = project(FirstCallNumber::Regional);
  SequenceRandomSource random;
  CallerIdChoice c =
      chooseOutboundCallerId(p, to(kNewYorkLandline, "+12127365050"), {}, ourNumbers(), random);
  std::vector<std::string> expected{
      "agent alice's outbound number +12127365050 not used: project renewals uses its own "
      "numbers",
      "first call of project renewals to +12127360000",
      "regionally random: landline +12127360000 in area +1212: random among +12127365000",
      "caller ID +12127365000 (regional)"};
  EXPECT_EQ(c.trace, expected);
}

}  // namespace
}  // namespace callmesh::router
