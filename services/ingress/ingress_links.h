#pragma once

#include <memory>
#include <string>

#include "services/ingress/agent_auth.h"
#include "services/ingress/call_events.h"
#include "services/ingress/source_guard.h"
#include "shared/transport/notice_channel.h"
#include "shared/transport/reply_server.h"
#include "shared/transport/request_link.h"

namespace callmesh::ingress {

// Everything the ingress talks to besides SIP, built in main.cpp and handed to the SipProxy,
// which owns them from then on. Unit tests build them from shared/testing fakes.
struct IngressLinks {
  std::unique_ptr<transport::RequestLink> router;
  std::unique_ptr<transport::NoticeSource> router_notices;  // null: no decision is reused
  // Acquires and releases; ZeroMQ keeps order on one connection (see SlotReleases).
  std::unique_ptr<transport::RequestLink> limiter;
  std::unique_ptr<transport::RequestLink> limiter_background;  // renewals: more attempts
  std::unique_ptr<transport::RequestLink> presence_events;
  std::unique_ptr<transport::RequestLink> notification_events;
  // Publishes through presence_events and notification_events: declared after them, so it goes
  // first.
  std::unique_ptr<CallEvents> events;
  std::unique_ptr<SourceGuard> guard;
  std::unique_ptr<AgentAuth> agent_auth;  // null: Proxy-Authorization is ignored (unit tests)
  // Recording control from the notification API (ingress.control_bind; null when unset).
  std::unique_ptr<transport::ReplyServer> control;
};

// Who this ingress is: read by main (hostname, pid, CALLMESH_POD_IP), never by the proxy.
struct ProxyIdentity {
  std::string instance_id;  // names this process in event ids
  std::string pod_ip;       // Record-Route host when bound to 0.0.0.0 and none is configured
};

}  // namespace callmesh::ingress
