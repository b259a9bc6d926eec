#include "services/router/routing_table.h"

#include <algorithm>

namespace callmesh::router {

const char* destinationKindName(Destination::Kind kind) {
  switch (kind) {
    case Destination::Kind::Hangup:
      return "hangup";
    case Destination::Kind::ReceivingNumber:
      return "receiving number";
    case Destination::Kind::VoiceMenu:
      return "voice menu";
    case Destination::Kind::VirtualAgent:
      return "virtual agent";
    case Destination::Kind::Queue:
      return "queue";
    case Destination::Kind::GeoRouter:
      return "geo router";
    case Destination::Kind::Agent:
      return "agent";
  }
  return "?";
}

const char* queueStrategyName(QueueStrategy s) {
  switch (s) {
    case QueueStrategy::RingAll:
      return "ring_all";
    case QueueStrategy::RoundRobin:
      return "round_robin";
    case QueueStrategy::LongestIdle:
      return "longest_idle";
  }
  return "?";
}

const char* firstCallNumberName(FirstCallNumber f) {
  switch (f) {
    case FirstCallNumber::Fixed:
      return "fixed";
    case FirstCallNumber::Random:
      return "random";
    case FirstCallNumber::Regional:
      return "regional";
  }
  return "?";
}

const char* laterCallNumberName(LaterCallNumber l) {
  switch (l) {
    case LaterCallNumber::Random:
      return "random";
    case LaterCallNumber::DifferentEachAttempt:
      return "different_each_attempt";
    case LaterCallNumber::Regional:
      return "regional";
  }
  return "?";
}

bool OutboundProject::hasNumber(const std::string& e164) const {
  return std::any_of(numbers.begin(), numbers.end(),
                     [&](const OutboundNumber& n) { return n.number == e164; });
}

std::string ReceivingNumber::extensionDigits() const {
  if (extension.empty()) return {};
  return std::string(static_cast<size_t>(dial_pause_s) * 2, 'w') + extension;
}

}  // namespace callmesh::router
