#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "shared/transport/endpoint_resolution.h"

namespace callmesh::transport {

// The concrete endpoints of one configured endpoint list, kept current: resolved once when made
// (so a client starts connected), then again every `interval_ms` on a thread of its own when
// the list holds names, so replicas that join or leave a headless Service are followed without
// a DNS lookup ever blocking the owner's event loop. Owners poll it with changedSince().
class EndpointWatcher {
 public:
  EndpointWatcher(std::vector<std::string> configured, int interval_ms,
                  Resolver resolve = systemResolve);
  ~EndpointWatcher();
  EndpointWatcher(const EndpointWatcher&) = delete;
  EndpointWatcher& operator=(const EndpointWatcher&) = delete;

  // Starts at 1 and grows by one each time the concrete list changes.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  std::vector<std::string> current() const;
  // When the list changed after generation `seen`: writes it to `out`, updates `seen`, true.
  bool changedSince(uint64_t& seen, std::vector<std::string>& out) const;
  // One resolution pass now (the thread calls it; tests too).
  void refresh();

 private:
  void run(int interval_ms);

  std::vector<std::string> configured_;
  Resolver resolve_;
  mutable std::mutex mutex_;
  ResolvedEndpoints resolved_;
  std::vector<std::string> concrete_;
  std::atomic<uint64_t> generation_{0};
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

// Connects `socket` to what `wanted` has and `connected` lacks, disconnects the rest; `connected`
// becomes `wanted`. Requests in flight to a disconnected peer are lost to it (callers retry).
void reconnectTo(zmq::socket_t& socket, std::vector<std::string>& connected,
                 const std::vector<std::string>& wanted);

}  // namespace callmesh::transport
