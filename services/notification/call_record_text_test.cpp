// callRecordText and appendJsonString: the bytes nlohmann::json writes, without building one.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/notification/call_record.h"
#include "services/notification/json_text.h"
#include "services/notification/webhook_event.h"

namespace callmesh::notification {
namespace {

using nlohmann::json;

std::string nlohmannText(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string written(std::string_view text) {
  std::string out;
  appendJsonString(out, text);
  return out;
}

CallRecord answeredCall() {
  CallRecord r;
  r.call_id = "7148-24994@127.0.0.1";
  r.kind = "voice";
  r.dialed = "+15550100";
  r.number = "+15550100";
  r.caller = "+15551234567";
  r.caller_zip = "94107";
  r.offered_at_ms = 1796607785000;
  r.answered_at_ms = 1796607786000;
  r.ended_at_ms = 1796607800000;
  r.duration_ms = 15000;
  r.talk_ms = 14000;
  r.legs = {{"+15550101", "agent-7", "sip:7@10.0.0.7:5060", 200, true, "answered"},
            {"+15550102", "", "sip:+15550102@gw", 487, false, "cancelled"}};
  r.answered_by_number = "+15550101";
  r.answered_by_agent = "agent-7";
  r.end_reason = "caller_hangup";
  r.status = 200;
  r.outcome = "answered";
  r.rule = "simultaneous";
  r.trace = {"rule simultaneous", "ring agent-7, +15550102"};
  r.source_tag = "google-ads";
  r.recording_id = "rec-1";
  r.recordings = {"/var/rec/a.wav", "/var/rec/b.wav"};
  r.recording_segments = 2;
  return r;
}

TEST(CallRecordText, IsTheBytesNlohmannWritesForTheSameRecord) {
  CallRecord full = answeredCall();
  CallRecord outbound = full;
  outbound.project = "spring-campaign";
  outbound.outbound_callee = "+15559876543";
  CallRecord empty;  // a record with nothing set: every field still present, in order
  CallRecord odd = full;
  odd.caller = "\"Jos\xC3\xA9\" <sip:\\x@y>\t\x01\x7F";
  odd.trace = {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\x9E",
               "bad \xFF\xC3( \xE0\x80\xAF \xED\xA0\x80 end\xE2\x82"};
  odd.legs.clear();
  for (const CallRecord* r : {&full, &outbound, &empty, &odd}) {
    EXPECT_EQ(callRecordText(*r), nlohmannText(callRecordJson(*r)));
  }
}

// Every kind of byte: ASCII, controls, quotes and backslashes, valid UTF-8 of every length,
// overlong forms, surrogates, stray continuation bytes, truncated sequences (also at the end).
TEST(CallRecordText, StringsAreEscapedAndInvalidUtf8ReplacedExactlyAsNlohmannDoes) {
  const std::vector<std::string> pieces = {"a",
                                           "Z",
                                           " ",
                                           "\"",
                                           "\\",
                                           "/",
                                           "\b",
                                           "\f",
                                           "\n",
                                           "\r",
                                           "\t",
                                           std::string(1, '\0'),
                                           "\x1F",
                                           "\x7F",
                                           "\xC3\xA9",
                                           "\xE2\x82\xAC",
                                           "\xF0\x9F\x93\x9E",
                                           "\xF4\x8F\xBF\xBF",
                                           "\xC2\x80",
                                           "\xEF\xBF\xBD",
                                           "\x80",
                                           "\xBF",
                                           "\xC0\xAF",
                                           "\xC1",
                                           "\xE0\x80\xAF",
                                           "\xE0\x9F",
                                           "\xED\xA0\x80",
                                           "\xF0\x80",
                                           "\xF4\x90\x80\x80",
                                           "\xF5",
                                           "\xFF",
                                           "\xC3",
                                           "\xE2\x82",
                                           "\xF0\x9F\x93"};
  std::mt19937 rng(22);
  std::uniform_int_distribution<size_t> pick(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(0, 12);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 5000; ++round) {
    std::string s;
    for (int n = length(rng); n > 0; --n) {
      // Mostly known pieces, some bytes at random.
      s += round % 3 == 0 ? std::string(1, static_cast<char>(byte(rng))) : pieces[pick(rng)];
    }
    ASSERT_EQ(written(s), nlohmannText(json(s))) << "round " << round;
  }
  for (const auto& p : pieces) EXPECT_EQ(written(p), nlohmannText(json(p)));
}

TEST(CallRecordText, AWebhookEventAroundTheRecordIsTheBytesOfTheJsonOne) {
  CallRecord r = answeredCall();
  EXPECT_EQ(webhookEventText("call.ended", r.call_id, r.ended_at_ms, callRecordText(r)),
            webhookEventJson("call.ended", r.call_id, r.ended_at_ms, callRecordJson(r)));
  EXPECT_EQ(json::parse(callRecordText(r)), callRecordJson(r));
}

}  // namespace
}  // namespace callmesh::notification
