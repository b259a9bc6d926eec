#include "services/concurrency-limiter/cap_follower.h"

#include <chrono>

namespace callmesh::concurrency_limiter {

CapFollower::CapFollower(redis::RedisEndpoint documents, std::string replica_id, const Clock& clock,
                         int poll_ms)
    : client_(redis::makeRedisClient(documents)),
      docs_(*client_),
      replica_(std::move(replica_id)),
      clock_(clock),
      poll_ms_(poll_ms) {}

CapFollower::~CapFollower() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CapFollower::start() {
  thread_ = std::thread([this] { run(); });
}

std::optional<std::pair<uint64_t, config::RuntimeCaps>> CapFollower::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(pending_, std::nullopt);
}

std::string CapFollower::lastError() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return error_;
}

void CapFollower::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    lock.unlock();
    pollOnce();
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(poll_ms_), [this] { return stop_; });
  }
}

void CapFollower::pollOnce() {
  auto& docs = docs_;
  std::string error;
  auto record = [&](std::optional<std::pair<uint64_t, config::RuntimeCaps>> next) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = error;
    if (next) pending_ = std::move(next);
  };
  if (auto st = docs.reportLoaded(replica_, applied_.load(), clock_.nowMs()); !st.ok()) {
    error = st.error().describe();
    return record(std::nullopt);
  }
  auto active = docs.activeVersion();
  if (!active.ok()) {
    error = active.error().describe();
    return record(std::nullopt);
  }
  if (*active == 0 || *active == seen_) return record(std::nullopt);
  auto doc = docs.document(*active);
  if (!doc.ok() || !doc->has_value()) {
    error = doc.ok() ? "active version has no document" : doc.error().describe();
    return record(std::nullopt);
  }
  seen_ = *active;
  auto caps = config::parseRuntimeCaps((*doc)->yaml);
  if (!caps.ok()) {
    // Validated before activation, so a parse failure is version skew: keep the caps in force
    // and report this version as applied-as-is so the activation does not wait on it forever.
    error = "routing v" + std::to_string(seen_) + ": " + caps.error().describe();
    applied_.store(seen_);
    return record(std::nullopt);
  }
  record(std::make_pair(seen_, std::move(caps.value())));
}

}  // namespace callmesh::concurrency_limiter
