#include "services/notification/stream_visibility.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace callmesh::notification {

namespace {

std::vector<std::string> strings(const nlohmann::json& v) {
  std::vector<std::string> list;
  if (v.is_array()) {
    for (const auto& x : v) {
      if (x.is_string()) list.push_back(x.get<std::string>());
    }
  }
  return list;
}

std::string stringField(const nlohmann::json& j, const char* name) {
  return j.contains(name) && j[name].is_string() ? j[name].get<std::string>() : std::string();
}

}  // namespace

std::vector<StreamEvent> streamEventsFromBus(const std::string& message) {
  std::vector<StreamEvent> out;
  auto j = nlohmann::json::parse(message, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("event") || !j["event"].is_string()) {
    return out;
  }
  std::string event = j["event"];
  if (event == "notification.created" && j.contains("notification") &&
      j["notification"].is_object()) {
    const auto& n = j["notification"];
    StreamEvent e;
    e.name = event;
    e.data = n.dump();
    std::string claimed_by = stringField(n, "claimed_by");
    if (!claimed_by.empty()) {
      e.audience = {claimed_by};  // an answered-call record
    } else if (stringField(n, "kind") == "missed_call") {
      e.everyone = true;  // seed 004: all users see the unclaimed missed call
    } else if (n.contains("visible_to")) {
      e.audience = strings(n["visible_to"]);
    }
    if (e.everyone || !e.audience.empty()) out.push_back(std::move(e));
  } else if (event == "notification.claimed" && j.contains("id") && j.contains("claimed_by") &&
             j["claimed_by"].is_string()) {
    std::string claimer = j["claimed_by"];
    nlohmann::json body = {
        {"id", j["id"]}, {"claimed_by", claimer}, {"action", j.value("action", "")}};
    StreamEvent mine;
    mine.name = "notification.claimed";
    mine.data = body.dump();
    mine.audience = {claimer};
    out.push_back(std::move(mine));
    StreamEvent others;
    others.name = "notification.withdrawn";
    others.data = body.dump();
    if (j.value("seen_by_all", false)) {
      others.everyone = true;  // seed 004: "removed for all other users"
      others.except = claimer;
    } else {
      for (const auto& a : strings(j.value("visible_to", nlohmann::json::array()))) {
        if (a != claimer) others.audience.push_back(a);
      }
    }
    if (others.everyone || !others.audience.empty()) out.push_back(std::move(others));
  } else if (event == "presence.changed" && j.contains("agent") && j["agent"].is_object()) {
    StreamEvent e;
    e.name = event;
    e.data = j["agent"].dump();
    std::string agent = stringField(j["agent"], "agent_id");
    if (!agent.empty()) e.audience = {agent};
    e.admins = true;
    out.push_back(std::move(e));
  }
  for (auto& e : out) sortAudience(e);
  return out;
}

void sortAudience(StreamEvent& e) {
  auto& a = e.audience;
  if (std::is_sorted(a.begin(), a.end()) && std::adjacent_find(a.begin(), a.end()) == a.end())
    return;
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
}

bool streamMayReceive(const StreamEvent& event, const Principal& who) {
  if (!event.except.empty() && event.except == who.agent_id) return false;
  if (event.everyone) return true;
  if (event.admins && who.admin) return true;
  // Sorted (streamEventsFromBus, EventHub::publish): asked once per agent on the replica, a
  // linear scan would cost agents x audience per event (10,000 x 10,000 at the scale plan).
  return std::binary_search(event.audience.begin(), event.audience.end(), who.agent_id);
}

}  // namespace callmesh::notification
