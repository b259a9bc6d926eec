#include "shared/testing/redis_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <thread>

#include <hiredis/hiredis.h>

#include "shared/redis/cluster_slots.h"
#include "shared/redis/hiredis_io.h"

namespace callmesh::testing {

namespace {

bool portFree(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// A free port whose cluster bus port (+10000) is free as well.
int freeClusterPort(const std::set<int>& taken) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    int port = freeLoopbackPort();
    if (port + 10000 > 65535 || taken.count(port) || taken.count(port + 10000)) continue;
    if (portFree(port + 10000)) return port;
  }
  throw std::runtime_error("no free port pair (port, port + 10000) on 127.0.0.1");
}

// One command on a fresh connection to 127.0.0.1:port; throws when no reply came.
redis::RedisReply ask(int port, const std::vector<std::string>& argv) {
  auto c = redis::openConnection({"127.0.0.1", port}, 5000, {});
  if (!c.ok()) throw std::runtime_error("redis " + std::to_string(port) + ": " + c.error().message);
  auto r = redis::roundTrip(c.value(), argv);
  redisFree(c.value());
  if (!r.ok()) throw std::runtime_error("redis " + std::to_string(port) + ": " + r.error().message);
  return r.value();
}

void expectOk(const redis::RedisReply& r, const std::string& what) {
  if (r.type == redis::RedisReply::Type::Error) throw std::runtime_error(what + ": " + r.text);
}

std::string redisCliBinary() {
  const char* env = std::getenv("CALLMESH_REDIS_CLI");
  return env && *env ? env : "redis-cli";
}

// Runs `argv` to completion within `seconds`, output to `log`; killed by pid if it overruns.
int runBounded(std::vector<std::string> args, const std::string& log, int seconds) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  if (pid < 0) throw std::runtime_error("fork failed");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

RedisCluster::RedisCluster(int masters) {
  std::set<int> taken;
  std::vector<std::string> create{redisCliBinary(), "--cluster", "create"};
  for (int i = 0; i < masters * 2; ++i) {
    int port = freeClusterPort(taken);
    taken.insert(port);
    taken.insert(port + 10000);
    // A short node timeout so a failover in a test takes seconds, not the default 15 s.
    servers_.push_back(std::make_unique<RedisServer>(
        port, std::vector<std::string>{"--cluster-enabled", "yes", "--cluster-config-file",
                                       "nodes-" + std::to_string(port) + ".conf",
                                       "--cluster-node-timeout", "2000"}));
    create.push_back("127.0.0.1:" + std::to_string(port));
  }
  create.insert(create.end(), {"--cluster-replicas", "1", "--cluster-yes"});
  // The servers are members: a throw from here destroys them (their destructors stop them).
  const std::string log = servers_.front()->dataDir() + "/cluster-create.log";
  if (runBounded(create, log, 60) != 0) {
    throw std::runtime_error("redis-cli --cluster create failed (see " + log + ")");
  }
  waitUntilReady();
}

RedisCluster::~RedisCluster() = default;  // each RedisServer stops its own process by pid

std::vector<redis::RedisAddress> RedisCluster::nodes() const {
  std::vector<redis::RedisAddress> out;
  for (const auto& s : servers_) out.push_back({s->host(), s->port()});
  return out;
}

redis::RedisEndpoint RedisCluster::endpoint(int timeout_ms) const {
  redis::RedisEndpoint e;
  e.timeout_ms = timeout_ms;
  e.cluster_nodes = nodes();
  e.reconnect_min_ms = 10;
  e.reconnect_max_ms = 200;
  return e;
}

void RedisCluster::waitUntilReady() const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    bool ready = true;
    std::set<std::string> views;
    for (const auto& s : servers_) {
      auto info = ask(s->port(), {"CLUSTER", "INFO"});
      if (info.text.find("cluster_state:ok") == std::string::npos) {
        ready = false;
        last = "node " + std::to_string(s->port()) + " not ok";
        break;
      }
      auto slots = ask(s->port(), {"CLUSTER", "SLOTS"});
      auto ranges = redis::parseClusterSlots(slots, s->host());
      if (!ranges.ok() || !redis::SlotMap::fromRanges(*ranges).ok()) {
        ready = false;
        last = "node " + std::to_string(s->port()) + " has no full slot map";
        break;
      }
      std::string view;
      for (const auto& r : *ranges) {
        view +=
            std::to_string(r.first) + "-" + std::to_string(r.last) + "@" + r.master.text() + ";";
      }
      views.insert(view);
    }
    // Every master with its replica in sync (state=online): WAIT in a test is answered at once.
    if (ready && views.size() == 1) {
      for (const auto& s : servers_) {
        auto replication = ask(s->port(), {"INFO", "replication"}).text;
        if (replication.find("role:master") != std::string::npos &&
            replication.find("state=online") == std::string::npos) {
          ready = false;
          last = "master " + std::to_string(s->port()) + " has no replica in sync";
          break;
        }
      }
    }
    if (ready && views.size() == 1) return;
    if (ready) last = "nodes disagree on the slot map";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("Redis Cluster not ready within 30 s: " + last);
}

int RedisCluster::masterPortOf(int slot) const {
  auto ranges =
      redis::parseClusterSlots(ask(servers_.front()->port(), {"CLUSTER", "SLOTS"}), "127.0.0.1");
  if (!ranges.ok()) throw std::runtime_error(ranges.error().message);
  for (const auto& r : *ranges) {
    if (slot >= r.first && slot <= r.last) return r.master.port;
  }
  throw std::runtime_error("slot " + std::to_string(slot) + " has no master");
}

int RedisCluster::otherMasterPort(int port) const {
  auto ranges =
      redis::parseClusterSlots(ask(servers_.front()->port(), {"CLUSTER", "SLOTS"}), "127.0.0.1");
  if (!ranges.ok()) throw std::runtime_error(ranges.error().message);
  for (const auto& r : *ranges) {
    if (r.master.port != port) return r.master.port;
  }
  throw std::runtime_error("a single master");
}

void RedisCluster::migrateSlot(int slot, int from, int to, bool stop_before_node) {
  const std::string s = std::to_string(slot);
  const std::string from_id = ask(from, {"CLUSTER", "MYID"}).text;
  const std::string to_id = ask(to, {"CLUSTER", "MYID"}).text;
  expectOk(ask(to, {"CLUSTER", "SETSLOT", s, "IMPORTING", from_id}), "SETSLOT IMPORTING");
  expectOk(ask(from, {"CLUSTER", "SETSLOT", s, "MIGRATING", to_id}), "SETSLOT MIGRATING");
  for (int round = 0; round < 1000; ++round) {
    auto keys = ask(from, {"CLUSTER", "GETKEYSINSLOT", s, "100"});
    if (keys.elements.empty()) break;
    std::vector<std::string> migrate{"MIGRATE", "127.0.0.1", std::to_string(to), "", "0",
                                     "5000",    "KEYS"};
    for (const auto& k : keys.elements) migrate.push_back(k.text);
    expectOk(ask(from, migrate), "MIGRATE");
  }
  if (!stop_before_node) finishMigration(slot, to);
}

void RedisCluster::finishMigration(int slot, int to) {
  const std::string s = std::to_string(slot);
  const std::string to_id = ask(to, {"CLUSTER", "MYID"}).text;
  // The importing node first, then every other master (as redis-cli does).
  expectOk(ask(to, {"CLUSTER", "SETSLOT", s, "NODE", to_id}), "SETSLOT NODE");
  for (const auto& server : servers_) {
    if (server->port() == to) continue;
    auto role = ask(server->port(), {"ROLE"});
    if (role.elements.empty() || role.elements[0].text != "master") continue;
    expectOk(ask(server->port(), {"CLUSTER", "SETSLOT", s, "NODE", to_id}), "SETSLOT NODE");
  }
}

}  // namespace callmesh::testing
