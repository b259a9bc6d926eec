#pragma once

// Stop and start a live call's recording (issue 19, seed 000_246ae9c7ee9a1def.txt "Enhanced
// Forwarding"): the API's side of the ingress's recording control (ingress.control_bind).
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "schemas/media.capnp.h"
#include "shared/base/result.h"
#include "shared/transport/endpoint_watcher.h"
#include "shared/transport/link_security.h"

namespace callmesh::notification {

struct RecordingResult {
  schema::RecordingOutcome outcome = schema::RecordingOutcome::UNKNOWN_CALL;
  bool recording = false;
  int segments = 0;
  std::string detail;
};

class RecordingControl {
 public:
  virtual ~RecordingControl() = default;
  // `start`: start recording (else stop). Timeout when no ingress holding the call answered.
  virtual Result<RecordingResult> setRecording(const std::string& call_id, bool start,
                                               const std::string& requested_by) = 0;
};

// Which ingress holds a call is not kept anywhere the API can read (agent-presence's call hash
// names no ingress), and the command is a person's click, so it goes to every ingress replica at
// once, one DEALER each (at most kMaxIngressEndpoints: ingress.control_endpoint resolves to the
// replicas), and the holder's answer is the result: every other replica answers unknownCall, and
// only all of them doing so makes the call unknown. Blocking, one command at a time under a mutex
// (the API's worker threads), each waiting at most `timeout_ms`.
class ZmqRecordingControl final : public RecordingControl {
 public:
  static constexpr size_t kMaxIngressEndpoints = 64;
  ZmqRecordingControl(zmq::context_t& context,
                      std::shared_ptr<transport::EndpointWatcher> endpoints,
                      transport::SocketSecurity security, int timeout_ms);

  Result<RecordingResult> setRecording(const std::string& call_id, bool start,
                                       const std::string& requested_by) override;
  // Follows the endpoints' latest resolution between commands (never waits on a busy mutex).
  void refreshEndpoints();
  std::vector<std::string> endpoints();

 private:
  void followEndpoints();  // under mutex_

  zmq::context_t& context_;
  transport::SocketSecurity security_;
  int timeout_ms_;
  std::mutex mutex_;
  std::shared_ptr<transport::EndpointWatcher> watcher_;
  uint64_t watcher_seen_ = 0;
  std::map<std::string, zmq::socket_t> sockets_;  // endpoint -> DEALER
  uint64_t next_id_ = 1;
};

}  // namespace callmesh::notification
