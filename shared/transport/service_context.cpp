#include "shared/transport/service_context.h"

#include <sched.h>

namespace callmesh::transport {

zmq::context_t serviceContext() {
  zmq::context_t context;
  context.set(zmq::ctxopt::io_threads, 1);
  // Read by libzmq when it starts the I/O thread, i.e. at the first socket: set before any.
  context.set(zmq::ctxopt::thread_sched_policy, SCHED_BATCH);
  return context;
}

}  // namespace callmesh::transport
