// GET /v1/stream: the caller's live events as Server-Sent Events (notification.created,
// .claimed, .withdrawn, presence.changed), fed from cm:events by the EventHub. Clients re-read
// the lists on reconnect; a stream only carries what happened while it was open.
#include <httplib.h>

#include <memory>

#include "services/notification/api_routes.h"
#include "services/notification/stream_visibility.h"

namespace callmesh::notification {

namespace {

// The SSE text for the events `who` may see, or a comment that keeps the connection alive.
std::string sseFor(const std::vector<StreamEvent>& events, const Principal& who, uint64_t& last) {
  std::string out;
  for (const auto& e : events) {
    last = e.seq;
    if (!streamMayReceive(e, who)) continue;
    out += "id: " + std::to_string(e.seq) + "\nevent: " + e.name + "\ndata: " + e.data + "\n\n";
  }
  if (out.empty()) out = ": keep-alive\n\n";
  return out;
}

}  // namespace

void addStreamRoutes(ApiRoutes& routes) {
  ApiDeps& d = routes.deps();
  routes.server().Get("/v1/stream", [&d](const httplib::Request& req, httplib::Response& res) {
    Principal who;
    if (auto refusal = accessRefusal(d, Access::AnyToken, req.get_header_value("Authorization"),
                                     requestOf(req), who)) {
      writeReply(*refusal, res);
      d.metrics.requests(refusal->status).Increment();
      return;
    }
    d.metrics.requests(200).Increment();
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    auto last = std::make_shared<uint64_t>(d.hub.lastSeq());
    auto opened = std::make_shared<bool>(false);
    d.metrics.streams.Increment();
    res.set_chunked_content_provider(
        "text/event-stream",
        [&d, who, last, opened](size_t, httplib::DataSink& sink) {
          if (!*opened) {
            *opened = true;
            std::string hello = "retry: 2000\n: stream for " + who.agent_id + "\n\n";
            return sink.write(hello.data(), hello.size());
          }
          if (d.hub.closed()) return false;
          std::string out = sseFor(d.hub.waitAfter(*last, 5000), who, *last);
          return sink.is_writable() && sink.write(out.data(), out.size());
        },
        [&d](bool) { d.metrics.streams.Decrement(); });
  });
}

}  // namespace callmesh::notification
