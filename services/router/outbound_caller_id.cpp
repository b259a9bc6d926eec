#include "services/router/outbound_caller_id.h"

#include <algorithm>

#include "services/router/phone_number.h"

namespace callmesh::router {

const char* callerIdSourceName(CallerIdSource s) {
  switch (s) {
    case CallerIdSource::Agent:
      return "agent";
    case CallerIdSource::Fixed:
      return "fixed";
    case CallerIdSource::Kept:
      return "kept";
    case CallerIdSource::Random:
      return "random";
    case CallerIdSource::Regional:
      return "regional";
    case CallerIdSource::Outcome:
      return "outcome";
    case CallerIdSource::DifferentEachAttempt:
      return "different_each_attempt";
  }
  return "?";
}

namespace {

using Candidates = std::vector<const OutboundNumber*>;

std::string join(const Candidates& numbers) {
  std::string out;
  for (const auto* n : numbers) out += (out.empty() ? "" : ",") + n->number;
  return out;
}

Candidates all(const OutboundProject& project) {
  Candidates out;
  for (const auto& n : project.numbers) out.push_back(&n);
  return out;
}

const std::string& pick(const Candidates& candidates, RandomSource& random) {
  return candidates[candidates.size() == 1 ? 0 : random.below(candidates.size())]->number;
}

// seed 002: "if calling a landline, the random selected number will try to match to the region
// it is calling to": the callee's area code first, then its region, then any number.
std::string regional(const OutboundProject& project, const std::string& callee,
                     RandomSource& random, std::vector<std::string>& trace) {
  NumberGeography callee_at = geographyOf(callee);
  Candidates everyone = all(project);
  if (!callee_at.landline) {
    trace.push_back("regionally random: " + callee +
                    " is not a landline (libphonenumber): random among " + join(everyone));
    return pick(everyone, random);
  }
  Candidates same_area;
  Candidates same_region;
  for (const auto* n : everyone) {
    if (!callee_at.area_code.empty() && n->area_code == callee_at.area_code) {
      same_area.push_back(n);
    }
    if (callee_at.region_code != "ZZ" && n->region_code == callee_at.region_code) {
      same_region.push_back(n);
    }
  }
  if (!same_area.empty()) {
    trace.push_back("regionally random: landline " + callee + " in area " + callee_at.area_code +
                    ": random among " + join(same_area));
    return pick(same_area, random);
  }
  if (!same_region.empty()) {
    trace.push_back("regionally random: landline " + callee + ", no number in area " +
                    (callee_at.area_code.empty() ? "(none)" : callee_at.area_code) +
                    ": random among region " + callee_at.region_code + " " + join(same_region));
    return pick(same_region, random);
  }
  trace.push_back("regionally random: no number in landline " + callee + "'s region " +
                  callee_at.region_code + ": random among " + join(everyone));
  return pick(everyone, random);
}

// seed 002: "Each call to a contact will use a different outbound number when possible."
std::string differentEachAttempt(const OutboundProject& project, const ContactHistory& history,
                                 RandomSource& random, std::vector<std::string>& trace) {
  Candidates unused;
  for (const auto& n : project.numbers) {
    if (std::find(history.used.begin(), history.used.end(), n.number) == history.used.end()) {
      unused.push_back(&n);
    }
  }
  if (!unused.empty()) {
    trace.push_back("different number for each attempt: not yet used with the contact: " +
                    join(unused));
    return pick(unused, random);
  }
  // Every number was used (the project lost numbers since): any but the last one, when possible.
  Candidates others;
  for (const auto& n : project.numbers) {
    if (history.used.empty() || n.number != history.used.back()) others.push_back(&n);
  }
  if (others.empty()) others = all(project);
  trace.push_back("different number for each attempt: every number used; random among " +
                  join(others));
  return pick(others, random);
}

// The project's `used` list after presenting `number`: a round ends when every number of the
// project has been used, and the next round starts with this number so the following attempt
// still differs from it.
std::vector<std::string> nextUsed(const OutboundProject& project, const ContactHistory& history,
                                  const std::string& number) {
  std::vector<std::string> used;
  for (const auto& n : history.used) {
    if (project.hasNumber(n) && n != number) used.push_back(n);
  }
  if (!project.hasNumber(number)) return used;
  used.push_back(number);
  if (used.size() >= project.numbers.size()) used = {number};
  return used;
}

}  // namespace

CallerIdChoice chooseOutboundCallerId(const OutboundProject& project, const OutboundCall& call,
                                      const ContactHistory& history,
                                      const std::set<std::string>& our_numbers,
                                      RandomSource& random) {
  CallerIdChoice c;
  auto done = [&](std::string number, CallerIdSource source) {
    c.number = std::move(number);
    c.source = source;
    c.used = nextUsed(project, history, c.number);
    c.trace.push_back("caller ID " + c.number + " (" + callerIdSourceName(source) + ")");
    return c;
  };
  // seed 002, "Agent outbound numbers": use agent number / use project number.
  if (!call.agent_number.empty()) {
    if (project.agent_number_overrides) {
      c.trace.push_back("project " + project.id + " lets agent " + call.agent_id +
                        "'s outbound number override its numbers");
      return done(call.agent_number, CallerIdSource::Agent);
    }
    c.trace.push_back("agent " + call.agent_id + "'s outbound number " + call.agent_number +
                      " not used: project " + project.id + " uses its own numbers");
  }
  if (history.attempts == 0) {
    c.trace.push_back("first call of project " + project.id + " to " + call.callee);
    // seed 002: "Keep the number used in the previous call to a contact" (by another project).
    if (project.keep_number_with_contact) {
      if (history.last_number.empty()) {
        c.trace.push_back("keep number with contact: " + call.callee + " was not called before");
      } else if (!our_numbers.count(history.last_number)) {
        c.trace.push_back("keep number with contact: " + history.last_number +
                          " is no longer one of our outbound numbers");
      } else {
        c.trace.push_back("keep number with contact: " + history.last_number + " was used by " +
                          (history.last_project.empty() ? "a project" : history.last_project));
        return done(history.last_number, CallerIdSource::Kept);
      }
    }
    switch (project.first_call) {
      case FirstCallNumber::Fixed:
        c.trace.push_back("number for first call: fixed");
        return done(project.fixed_number, CallerIdSource::Fixed);
      case FirstCallNumber::Random:
        c.trace.push_back("number for first call: random among " + join(all(project)));
        return done(pick(all(project), random), CallerIdSource::Random);
      case FirstCallNumber::Regional:
        return done(regional(project, call.callee, random, c.trace), CallerIdSource::Regional);
    }
  }
  c.trace.push_back("attempt " + std::to_string(history.attempts + 1) + " of project " +
                    project.id + " to " + call.callee);
  // seed 002: "the project's outcomes might decide which number should be used for the next call"
  const std::string& outcome = call.last_outcome.empty() ? history.last_outcome : call.last_outcome;
  if (outcome.empty()) {
    c.trace.push_back("no outcome recorded for the previous call");
  } else if (auto it = project.by_outcome.find(outcome); it == project.by_outcome.end()) {
    c.trace.push_back("previous outcome '" + outcome + "' does not choose a number");
  } else if (!project.hasNumber(it->second)) {
    c.trace.push_back("previous outcome '" + outcome + "' chooses " + it->second +
                      ", no longer one of the project's numbers");
  } else {
    c.trace.push_back("previous outcome '" + outcome + "' chooses " + it->second);
    return done(it->second, CallerIdSource::Outcome);
  }
  switch (project.later_default) {
    case LaterCallNumber::Random:
      c.trace.push_back("default logic: random among " + join(all(project)));
      return done(pick(all(project), random), CallerIdSource::Random);
    case LaterCallNumber::DifferentEachAttempt:
      return done(differentEachAttempt(project, history, random, c.trace),
                  CallerIdSource::DifferentEachAttempt);
    case LaterCallNumber::Regional:
      return done(regional(project, call.callee, random, c.trace), CallerIdSource::Regional);
  }
  return done(pick(all(project), random), CallerIdSource::Random);  // unreachable: enum covered
}

}  // namespace callmesh::router
