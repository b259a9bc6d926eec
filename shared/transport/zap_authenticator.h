#pragma once

#include <atomic>
#include <functional>
#include <string_view>
#include <thread>

#include <zmq.hpp>

#include "shared/transport/zap_policy.h"

namespace callmesh::transport {

// ZeroMQ's ZAP handler for one context: a thread answering libzmq's authentication requests on
// inproc://zeromq.zap.01 with decideZap(). Every CURVE server socket of the context asks it at
// each handshake; a refused client's connection is closed before any of its messages is read.
// Construct it before any server socket binds: without a handler, libzmq accepts every key.
class ZapAuthenticator {
 public:
  // `on_decision(accepted, service or refusal reason)` runs on the authenticator's thread.
  using DecisionSink = std::function<void(bool accepted, std::string_view why)>;

  ZapAuthenticator(zmq::context_t& context, ClientAllowList allowed, DecisionSink on_decision);
  ~ZapAuthenticator();
  ZapAuthenticator(const ZapAuthenticator&) = delete;
  ZapAuthenticator& operator=(const ZapAuthenticator&) = delete;

  uint64_t accepted() const { return accepted_.load(); }
  uint64_t refused() const { return refused_.load(); }

 private:
  void run();

  zmq::socket_t socket_;  // REP, bound in the constructor, used only by the thread afterwards
  int stop_fd_ = -1;      // an eventfd the destructor writes: the thread sleeps on it and socket_
  ClientAllowList allowed_;
  DecisionSink on_decision_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> refused_{0};
  std::thread thread_;
};

}  // namespace callmesh::transport
