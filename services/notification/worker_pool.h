#pragma once

// The threads that run route handlers. Handlers block (hiredis, agent-presence requests, a text's
// SIP transaction), so they run here and never on the io thread; the queue in front is bounded,
// and a full queue is a refusal (503), not an ever-growing backlog.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace callmesh::notification {

class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job` unless `max_queued` jobs already wait (then false, and `job` is not kept).
  bool trySubmit(std::function<void()> job);
  // Runs what is queued, then joins the threads. Later submissions are refused.
  void stop();

 private:
  void run();

  size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace callmesh::notification
