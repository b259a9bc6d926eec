#pragma once

#include <zmq.hpp>

namespace callmesh::transport {

// The ZeroMQ context of a callmesh service: one I/O thread, scheduled SCHED_BATCH.
//
// Why SCHED_BATCH: every message a service sends wakes its I/O thread. As a normal thread that
// wakee preempts the service's own thread mid-work (the I/O thread has slept, so the scheduler
// favours it), which costs two context switches per send. A SCHED_BATCH thread is never woken
// by preemption: it runs on an idle CPU or when the sender yields. Measured with
// tools/bench/compare_kamailio.py's setup: the ingress alone went from 16.2 to 14.6 context
// switches per call for the whole cluster, and the cluster's CPU per call fell about 4%.
zmq::context_t serviceContext();

}  // namespace callmesh::transport
