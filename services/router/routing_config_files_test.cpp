// Loads every routing.yaml fixture under tests/data/routing: the good ones must load, each broken
// one must fail with exactly the `file:line: key: what is wrong` lines listed here, in file-line
// order.
#include <gtest/gtest.h>

#include "services/router/routing_config.h"

namespace callmesh::router {
namespace {

const std::string kDir = CALLMESH_ROUTING_TEST_DATA;

TEST(RoutingConfigFiles, GoodFilesLoad) {
  for (const char* name : {"every_rule.yaml", "direct_forward.yaml"}) {
    auto cfg = loadRoutingConfig(kDir + "/good/" + name);
    EXPECT_TRUE(cfg.ok()) << name << ": " << cfg.error().describe();
  }
}

TEST(RoutingConfigFiles, BrokenFilesNameEveryMistake) {
  struct Row {
    const char* file;
    std::vector<std::string> lines;  // without the "<dir>/broken/" prefix
  } rows[] = {
      // seed 000 schedules: hours, days and holidays are checked
      {"bad_hours.yaml",
       {"bad_hours.yaml:7: schedules[0].hours[0].to: must be later than from; write an overnight "
        "span as two ranges",
        "bad_hours.yaml:8: schedules[0].hours[1].days: 'funday' is not a day (mon..sun), a range "
        "like mon-fri, or daily",
        "bad_hours.yaml:8: schedules[0].hours[1].to: '25:00' is not a time of day HH:MM "
        "(00:00..24:00)",
        "bad_hours.yaml:9: schedules[0].holidays: '2026-02-30' is not a date YYYY-MM-DD"}},
      // seed 000 receiving-number options are checked
      {"bad_receiving_options.yaml",
       {"bad_receiving_options.yaml:2: receiving_numbers[0].uri: is required (or set pstn_gateway "
        "to reach numbers through a gateway)",
        "bad_receiving_options.yaml:3: receiving_numbers[0].extension: may hold only digits, * and "
        "#, and w for a half-second pause (max 32)",
        "bad_receiving_options.yaml:4: receiving_numbers[0].caller_id: must be caller, "
        "tracking_number or a phone number ('someone' is not a phone number)",
        "bad_receiving_options.yaml:5: receiving_numbers[0].dial_pause_s: must be between 0 and 30 "
        "(got 99)",
        "bad_receiving_options.yaml:6: receiving_numbers[0].prevent_recording: must be true or "
        "false",
        "bad_receiving_options.yaml:7: receiving_numbers[0].no_answer.voicemail: unknown "
        "destination; must be hangup, or one of {number | voice_menu | virtual_agent | queue | "
        "geo_router | agent: ...}"}},
      // numbers are defined once; tracking/company numbers are unique
      {"defined_twice.yaml",
       {"defined_twice.yaml:6: tracking_numbers[0].receiving_numbers[0].number: receiving number "
        "+12125550101 is defined twice (also at line 2); define it once and refer to it by number",
        "defined_twice.yaml:7: tracking_numbers[1].number: tracking number +18005550001 is listed "
        "twice",
        "defined_twice.yaml:8: tracking_numbers[1].route: give either receiving_numbers or route, "
        "not both",
        "defined_twice.yaml:11: company_numbers[0].location: is required (its time zone reads the "
        "hours)",
        "defined_twice.yaml:11: company_numbers[0].number: company number +18005550001 is listed "
        "twice (also a tracking number)",
        "defined_twice.yaml:12: company_numbers[0].unknown_callers.default.user: no agent 'nobody' "
        "in agents"}},
      // seed 003: ringing our own company number loops
      {"forwards_to_company_number.yaml",
       {"forwards_to_company_number.yaml:6: agents[0].number: +18005550200 is our own company "
        "number; ringing it would loop the call back here (seed 003)",
        "forwards_to_company_number.yaml:11: company_numbers[0].unknown_callers.default.number: "
        "+18005550200 is our own company number; ringing it would loop the call back here (seed "
        "003)"}},
      // phone numbers that do not parse are rejected
      {"invalid_number.yaml",
       {"invalid_number.yaml:2: tracking_numbers[0].number: 'call me' is not a phone number",
        "invalid_number.yaml:7: tracking_numbers[1].receiving_numbers[0].number: '12' is not a "
        "possible phone number"}},
      // seed 003: ringing our own tracking number loops
      {"loop_to_own_tracking_number.yaml",
       {"loop_to_own_tracking_number.yaml:5: tracking_numbers[0].receiving_numbers[0].number: "
        "+12125550100 is our own tracking number; ringing it would loop the call back here (seed "
        "003)"}},
      // seed 003: no-answer chains may not come back on themselves
      {"no_answer_cycle.yaml",
       {"no_answer_cycle.yaml:8: receiving_numbers[1].no_answer: routing loops back on itself: "
        "queue sales -> receiving number +12125550101 -> receiving number +12125550102 -> queue "
        "sales (seed 003)"}},
      // seed 004: custom rules may not share active hours
      {"overlapping_rules.yaml",
       {"overlapping_rules.yaml:14: company_numbers[0].unknown_callers.rules[1].active_hours: fri "
        "12:00-18:00 overlaps rule 'evenings' (mon,tue,wed,thu,fri 17:00-22:00); rules may not "
        "share a time"}},
      // seed 004: blast alerts go to at most 5 agents
      {"too_many_blast_agents.yaml",
       {"too_many_blast_agents.yaml:14: company_numbers[0].unknown_callers.default.blast: must "
        "list 1 to 5 agents (seed 004)"}},
      // seed 004: at most 10 custom rules
      {"too_many_rules.yaml",
       {"too_many_rules.yaml:10: company_numbers[0].unknown_callers.rules: at most 10 custom rules "
        "are allowed (seed 004), got 11"}},
      // unknown keys are rejected
      {"unknown_key.yaml",
       {"unknown_key.yaml:6: tracking_numbers[0].receiving_numbers[0].colour: unknown key"}},
      // every id and number referred to must exist
      {"unknown_references.yaml",
       {"unknown_references.yaml:6: receiving_numbers[0].agent: no agent 'zed' in agents",
        "unknown_references.yaml:7: receiving_numbers[0].schedule: no schedule 'office' in "
        "schedules",
        "unknown_references.yaml:8: receiving_numbers[0].no_answer: no voice menu 'main'",
        "unknown_references.yaml:11: queues[0].agents: agent 'erin' has no number or uri to ring",
        "unknown_references.yaml:11: queues[0].agents: no agent 'zed' in agents",
        "unknown_references.yaml:14: tracking_numbers[0].route: no queue 'support'",
        "unknown_references.yaml:16: tracking_numbers[1].receiving_numbers[0]: receiving number "
        "+12125550199 is not defined in receiving_numbers (and no pstn_gateway reaches it)"}},
      // locations need a real IANA time zone
      {"unknown_time_zone.yaml",
       {"unknown_time_zone.yaml:2: locations[0].time_zone: unknown time zone 'America/Gotham' (not "
        "in /usr/share/zoneinfo)"}},
      // YAML syntax errors name the line
      {"yaml_syntax.yaml", {"yaml_syntax.yaml:3: YAML syntax: end of sequence flow not found"}},
  };
  for (const auto& row : rows) {
    auto cfg = loadRoutingConfig(kDir + "/broken/" + row.file);
    ASSERT_FALSE(cfg.ok()) << row.file;
    std::string prefix = kDir + "/broken/";
    std::string message = cfg.error().describe();
    std::vector<std::string> lines;
    size_t start = 0;
    while (start <= message.size()) {
      size_t end = message.find('\n', start);
      std::string line = message.substr(start, end == std::string::npos ? end : end - start);
      if (line.rfind(prefix, 0) == 0) line = line.substr(prefix.size());
      lines.push_back(line);
      if (end == std::string::npos) break;
      start = end + 1;
    }
    EXPECT_EQ(lines, row.lines) << row.file;
  }
}

}  // namespace
}  // namespace callmesh::router
