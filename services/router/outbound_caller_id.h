#pragma once

#include <set>
#include <string>
#include <vector>

#include "services/router/outbound_history.h"
#include "services/router/random_source.h"
#include "services/router/routing_table.h"

namespace callmesh::router {

// One outbound call to choose a caller ID for (seed 002).
struct OutboundCall {
  std::string callee;        // E.164
  std::string agent_id;      // the agent calling out
  std::string agent_number;  // the agent's own outbound number; "" = none configured
  // Outcome of the project's previous call to this contact, as the agent's dialer reported it
  // with this call; "" = use ContactHistory::last_outcome.
  std::string last_outcome;
};

// How the number was chosen: a bounded set, used as a metrics label.
enum class CallerIdSource {
  Agent,                 // the agent's own number overrides the project's
  Fixed,                 // first call, the project's fixed number
  Kept,                  // first call, the number used before with this contact (any project)
  Random,                // random among the project's numbers
  Regional,              // a number in the landline callee's area or region
  Outcome,               // the number the previous call's outcome chose
  DifferentEachAttempt,  // a number not yet used with this contact
};
const char* callerIdSourceName(CallerIdSource s);

struct CallerIdChoice {
  std::string number;  // E.164, never empty
  CallerIdSource source = CallerIdSource::Random;
  std::vector<std::string> trace;  // why, one line per rule considered
  std::vector<std::string> used;   // the project's `used` list to remember after this call
};

// seed 002's number selection logic, in order:
//  1. the agent's own number, when the project lets it override;
//  2. first call of the project to the contact (history.attempts == 0): the number used before
//     with the contact by any project when `keep_number_with_contact` and it is still one of
//     `our_numbers`; else fixed / random / regionally random;
//  3. later calls: the number the previous outcome chose, when the project still has it; else the
//     default logic: random / a different number for each attempt / regionally random.
// "Regionally random": for a landline callee, random among the project's numbers with the
// callee's area code, else its region; for anyone else (or no match) random among them all.
// Pure: no I/O; `random` is the only source of choice.
CallerIdChoice chooseOutboundCallerId(const OutboundProject& project, const OutboundCall& call,
                                      const ContactHistory& history,
                                      const std::set<std::string>& our_numbers,
                                      RandomSource& random);

}  // namespace callmesh::router
