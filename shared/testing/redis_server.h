#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace callmesh::testing {

// Finds a TCP port on 127.0.0.1 that is free right now (bind to port 0, read it, close).
int freeLoopbackPort();

// A private redis-server for one test: own free port on 127.0.0.1, own temp data dir,
// no persistence unless asked. Stopped by pid (never by name) when destroyed.
class RedisServer {
 public:
  // `appendonly`: enable AOF in the temp dir (restart tests).
  explicit RedisServer(bool appendonly = false);
  // On `port` with extra redis-server arguments (a Redis Cluster node: RedisCluster).
  RedisServer(int port, std::vector<std::string> extra_args);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  const std::string& host() const { return host_; }
  pid_t pid() const { return pid_; }
  const std::string& dataDir() const { return dir_; }

  // SIGKILL then start again on the same port and dir (AOF replays if enabled).
  void crashAndRestart();
  void stop();
  void start();

 private:
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  std::string dir_;
  bool appendonly_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
};

}  // namespace callmesh::testing
