#include "services/notification/event_hub.h"

#include <nlohmann/json.hpp>

namespace callmesh::notification {

std::vector<StreamEvent> streamEventsFromBus(const std::string& message) {
  std::vector<StreamEvent> out;
  auto j = nlohmann::json::parse(message, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("event") || !j["event"].is_string()) {
    return out;
  }
  std::string event = j["event"];
  auto strings = [](const nlohmann::json& v) {
    std::vector<std::string> list;
    if (v.is_array()) {
      for (const auto& x : v) {
        if (x.is_string()) list.push_back(x.get<std::string>());
      }
    }
    return list;
  };
  if (event == "notification.created" && j.contains("notification")) {
    const auto& n = j["notification"];
    StreamEvent e;
    e.name = event;
    e.data = n.dump();
    if (n.contains("claimed_by") && n["claimed_by"].is_string() &&
        !n["claimed_by"].get<std::string>().empty()) {
      e.audience = {n["claimed_by"].get<std::string>()};  // an answered-call record
    } else if (n.contains("visible_to")) {
      e.audience = strings(n["visible_to"]);
    }
    if (!e.audience.empty()) out.push_back(std::move(e));
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
    for (const auto& a : strings(j.value("visible_to", nlohmann::json::array()))) {
      if (a != claimer) others.audience.push_back(a);
    }
    if (!others.audience.empty()) out.push_back(std::move(others));
  } else if (event == "presence.changed" && j.contains("agent")) {
    StreamEvent e;
    e.name = event;
    e.data = j["agent"].dump();
    e.everyone = true;
    out.push_back(std::move(e));
  }
  return out;
}

void EventHub::setListener(Listener listener) {
  std::lock_guard<std::mutex> lock(mutex_);
  listener_ = std::move(listener);
}

void EventHub::publish(StreamEvent event) {
  // The listener runs under the lock so setListener(nullptr) returns only once no call is in
  // flight; it only posts to the io thread, so the lock is held for microseconds.
  std::lock_guard<std::mutex> lock(mutex_);
  event.seq = ++seq_;
  if (closed_ || !listener_) return;
  listener_(std::make_shared<const StreamEvent>(std::move(event)));
}

uint64_t EventHub::lastSeq() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seq_;
}

void EventHub::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  listener_ = nullptr;
}

bool EventHub::closed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_;
}

}  // namespace callmesh::notification
