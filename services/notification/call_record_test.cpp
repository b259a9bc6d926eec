// Call detail records (issue 20): what one `ended` event becomes, and its CSV form.
#include "services/notification/call_record.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include "shared/codec/follow_up_scope.h"

namespace callmesh::notification {
namespace {

using nlohmann::json;

// A blast to two agents' phones: bob's rang and was cancelled when alice answered.
CallRecord answeredBlast() {
  capnp::MallocMessageBuilder mb;
  auto ev = mb.initRoot<schema::CallEvent>();
  ev.setEventId("ingress-1:7");
  ev.setCallId("call-7@gw");
  ev.setDialed("+15550200");
  ev.setCaller("+15557770001");
  ev.setAtMs(1700000030000);
  auto end = ev.initEnded();
  end.setAnswered(true);
  auto by = end.initAnsweredBy();
  by.setNumber("+15550201");
  by.setAgentId("alice");
  end.setReason(schema::EndReason::CALLER_HANGUP);
  end.setStatus(200);
  end.setDurationMs(30000);
  end.setTalkMs(25000);
  auto legs = end.initRungLegs(2);
  legs[0].setNumber("+15550201");
  legs[0].setAgentId("alice");
  legs[0].setUri("sip:+15550201@127.0.0.1:5071");
  legs[1].setNumber("+15550202");
  legs[1].setAgentId("bob");
  auto ends = end.initLegEnds(2);
  ends[0].setStatus(200);
  ends[0].setRinging(true);
  ends[1].setStatus(487);
  ends[1].setRinging(true);
  end.setNumber("+15550200");
  end.setRule("company_default_rule");
  auto trace = end.initTrace(2);
  trace.set(0, "+15550200 is a company number");
  trace.set(1, "default rule: blast alice, bob");
  end.setSourceTag("google-ads");
  end.setCallerZip("60601");
  end.setRecordingId("rec-42");
  return callRecordOf(ev.asReader());
}

TEST(CallRecord, HoldsTheTimesLegsAnswererRuleTraceAndHints) {
  CallRecord r = answeredBlast();
  EXPECT_EQ(r.call_id, "call-7@gw");
  EXPECT_EQ(r.kind, "voice");
  EXPECT_EQ(r.number, "+15550200");
  EXPECT_EQ(r.caller, "+15557770001");
  EXPECT_EQ(r.ended_at_ms, 1700000030000);
  EXPECT_EQ(r.offered_at_ms, 1700000000000);
  EXPECT_EQ(r.answered_at_ms, 1700000005000);
  ASSERT_EQ(r.legs.size(), 2u);
  EXPECT_EQ(r.legs[0].outcome, "answered");
  EXPECT_EQ(r.legs[1].agent_id, "bob");
  EXPECT_EQ(r.legs[1].status, 487);
  EXPECT_EQ(r.legs[1].outcome, "cancelled");
  EXPECT_TRUE(r.legs[1].ringing);
  EXPECT_EQ(r.answered_by_agent, "alice");
  EXPECT_EQ(r.end_reason, "caller_hangup");
  EXPECT_EQ(r.outcome, "answered");
  EXPECT_EQ(r.rule, "company_default_rule");
  EXPECT_EQ(r.trace, (std::vector<std::string>{"+15550200 is a company number",
                                               "default rule: blast alice, bob"}));
  EXPECT_EQ(r.source_tag, "google-ads");
  EXPECT_EQ(r.caller_zip, "60601");
  EXPECT_EQ(r.recording_id, "rec-42");
  EXPECT_FALSE(isMissedCall(r));
}

TEST(CallRecord, OutcomesFollowTheEndReason) {
  EXPECT_EQ(outcomeOf(false, schema::EndReason::BUSY), "busy");
  EXPECT_EQ(outcomeOf(false, schema::EndReason::NO_ANSWER), "no_answer");
  EXPECT_EQ(outcomeOf(false, schema::EndReason::CALLER_CANCEL), "abandoned");
  EXPECT_EQ(outcomeOf(false, schema::EndReason::INTERNAL_ERROR), "failed");
  EXPECT_EQ(outcomeOf(true, schema::EndReason::MAX_DURATION), "answered");
  EXPECT_EQ(outcomeOf(true, schema::EndReason::DELIVERED), "delivered");
  for (auto o : kCallOutcomes) EXPECT_TRUE(isCallOutcome(o));
  EXPECT_FALSE(isCallOutcome("missed"));
  EXPECT_EQ(legOutcome(408), "no_answer");
  EXPECT_EQ(legOutcome(486), "busy");
  EXPECT_EQ(legOutcome(603), "declined");
  EXPECT_EQ(legOutcome(0), "pending");
}

TEST(CallRecord, CsvQuotesSeparatorsAndDefusesFormulasButKeepsPhoneNumbers) {
  json rec = callRecordJson(answeredBlast());
  rec["source_tag"] = "=HYPERLINK(\"x\")";
  rec["rule"] = "a,b";
  std::string row = callRecordCsvRow(rec);
  EXPECT_EQ(row.rfind("call-7@gw,voice,+15550200,+15550200,+15557770001,60601,", 0), 0u) << row;
  EXPECT_NE(row.find(",\"a,b\","), std::string::npos) << row;
  EXPECT_NE(row.find(",\"'=HYPERLINK(\"\"x\"\")\","), std::string::npos) << row;
  EXPECT_NE(row.find("+15550202 bob cancelled 487"), std::string::npos) << row;
  EXPECT_EQ(row.substr(row.size() - 2), "\r\n");
  // As many columns as the header (quoted commas aside).
  std::string header = callRecordCsvHeader();
  EXPECT_EQ(header.rfind("call_id,kind,dialed,number,caller,", 0), 0u);
}

// seed 004_ee4e98a6a7f6781b.txt: follow-up records are for company numbers' rules only; a plain
// tracking number's missed call has nobody to claim it (issue 20).
TEST(CallRecord, OnlyCompanyNumberRulesAskForFollowUp) {
  using schema::EndReason;
  EXPECT_TRUE(codec::endMayNeedFollowUp(false, "", EndReason::BUSY, "company_default_rule"));
  EXPECT_TRUE(codec::endMayNeedFollowUp(false, "", EndReason::NO_ANSWER, "company_custom_rule"));
  EXPECT_TRUE(
      codec::endMayNeedFollowUp(true, "alice", EndReason::CALLER_HANGUP, "company_contact"));
  EXPECT_FALSE(codec::endMayNeedFollowUp(false, "", EndReason::BUSY, "direct_forward"));
  EXPECT_FALSE(codec::endMayNeedFollowUp(false, "", EndReason::BUSY, "forward_in_order"));
  EXPECT_FALSE(codec::endMayNeedFollowUp(false, "", EndReason::NO_ANSWER, "outbound_caller_id"));
  EXPECT_FALSE(codec::endMayNeedFollowUp(false, "", EndReason::REJECTED, "company_default_rule"));
}

}  // namespace
}  // namespace callmesh::notification
