#pragma once

// Who receives which live event (issue 17 item 4, seed 004_ee4e98a6a7f6781b.txt), pure so the
// HTTP layer's fan-out calls it per stream and tests drive it without a server:
//   notification.created   an unclaimed missed call from an unknown caller: every user ("all
//                          users can see the record of the missed call"); a text: the agents it
//                          was routed to; an answered-call record: the answering agent only
//   notification.claimed   to the claimer; notification.withdrawn to everyone else who saw it
//                          (every user for a missed call, the routed agents for a text)
//   presence.changed       to the agent concerned and to admins (agents see only their own)
#include <string>
#include <vector>

#include "services/notification/api_deps.h"
#include "services/notification/event_hub.h"

namespace callmesh::notification {

// Turns one cm:events message (JSON) into the stream events it means, each with its audience.
// Malformed or unknown messages give nothing.
std::vector<StreamEvent> streamEventsFromBus(const std::string& message);

// True when the stream of `who` may carry `event`.
bool streamMayReceive(const StreamEvent& event, const Principal& who);

// Puts `e.audience` in the order streamMayReceive's binary search needs (sorted, no repeats).
// streamEventsFromBus and EventHub::publish call it, so every event a stream sees is sorted.
void sortAudience(StreamEvent& e);

}  // namespace callmesh::notification
