#pragma once

#include <string_view>

#include "schemas/call.capnp.h"

namespace callmesh::codec {

// The router rules that ask for follow-up records: a company number's (seed 004 "Unknown
// Contacts": missed unknown calls and texts become unclaimed notifications the selected agents
// claim). The names are the router's (plan_company_numbers.cpp);
// route_planner_test.cpp checks the planner's company rules and no other are in this set.
inline constexpr std::string_view kFollowUpRules[] = {"company_contact", "company_custom_rule",
                                                      "company_default_rule"};

inline bool ruleAsksForFollowUp(std::string_view rule) {
  for (auto r : kFollowUpRules) {
    if (r == rule) return true;
  }
  return false;
}

// Whether a call's end calls for a follow-up record (seed 004). Only a rule that asks for one
// (issue 20: a busy call to a plain tracking number left a `missed_call` record visible to a phone
// number that no agent could ever claim). Not a follow-up either: a call refused before anything
// rang (cap, unknown number, loop), and a call answered at a phone no agent answers (nobody to
// show the record to).
inline bool endMayNeedFollowUp(bool answered, std::string_view answered_agent,
                               schema::EndReason reason, std::string_view rule) {
  if (reason == schema::EndReason::REJECTED) return false;
  if (!ruleAsksForFollowUp(rule)) return false;
  return !(answered && answered_agent.empty());
}

}  // namespace callmesh::codec
