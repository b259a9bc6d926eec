// GET /v1/stream: the caller's live events as Server-Sent Events (notification.created,
// .claimed, .withdrawn, presence.changed), fed from cm:events by the EventHub. Clients re-read
// the lists on reconnect; a stream only carries what happened while it was open. The stream
// itself lives on a stream thread (stream_shards.h), not on a worker.
#include <httplib.h>

#include "services/notification/api_routes.h"
#include "services/notification/stream_visibility.h"

namespace callmesh::notification {

void addStreamRoutes(ApiRoutes& routes) {
  routes.stream("/v1/stream", Access::AnyToken,
                [](const httplib::Request&, httplib::Response& res,
                   const Principal& who) -> std::function<bool(const StreamEvent&)> {
                  res.set_header("Cache-Control", "no-cache");
                  res.set_header("X-Accel-Buffering", "no");
                  res.body = "retry: 2000\n: stream for " + who.agent_id + "\n\n";
                  // Which events `who` may see (admins, except, everyone: stream_visibility.h).
                  return [who](const StreamEvent& e) { return streamMayReceive(e, who); };
                });
}

}  // namespace callmesh::notification
