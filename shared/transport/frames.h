#pragma once

#include <vector>

#include <zmq.hpp>

namespace callmesh::transport {

// Takes one whole multipart message off `socket` without blocking: every frame up to the last
// (ZeroMQ delivers a message's frames together, so none is half there). Empty when nothing waits.
inline std::vector<zmq::message_t> receiveFrames(zmq::socket_t& socket) {
  std::vector<zmq::message_t> frames;
  while (true) {
    zmq::message_t m;
    if (!socket.recv(m, zmq::recv_flags::dontwait)) break;
    bool more = m.more();
    frames.push_back(std::move(m));
    if (!more) break;
  }
  return frames;
}

}  // namespace callmesh::transport
