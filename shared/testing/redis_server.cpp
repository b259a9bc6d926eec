#include "shared/testing/redis_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

namespace callmesh::testing {

int freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    throw std::runtime_error("bind() failed");
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

namespace {
// Ready means answering PING with PONG, not merely accepting connections: a server replaying
// its AOF after crashAndRestart() accepts at once but answers "-LOADING" until it is done, and a
// test that sent its next command then failed under load
// (PresenceBatchIntegration.ARedisRestartWithholdsTheAckUntilTheBatchIsApplied).
bool answersPing(const std::string& host, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  timeval timeout{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const char ping[] = "PING\r\n";
    char reply[64] = {};
    if (::send(fd, ping, sizeof(ping) - 1, MSG_NOSIGNAL) ==
        static_cast<ssize_t>(sizeof(ping) - 1)) {
      ssize_t n = ::recv(fd, reply, sizeof(reply) - 1, 0);
      ok = n >= 5 && std::string(reply, 5) == "+PONG";
    }
  }
  ::close(fd);
  return ok;
}

std::string redisServerBinary() {
  const char* env = std::getenv("CALLMESH_REDIS_SERVER");
  return env && *env ? env : "redis-server";
}
}  // namespace

RedisServer::RedisServer(bool appendonly) : appendonly_(appendonly) {
  char templ[] = "/tmp/callmesh-redis-XXXXXX";
  if (!::mkdtemp(templ)) throw std::runtime_error("mkdtemp failed");
  dir_ = templ;
  port_ = freeLoopbackPort();
  start();
}

RedisServer::RedisServer(int port, std::vector<std::string> extra_args)
    : port_(port), appendonly_(false), extra_args_(std::move(extra_args)) {
  char templ[] = "/tmp/callmesh-redis-XXXXXX";
  if (!::mkdtemp(templ)) throw std::runtime_error("mkdtemp failed");
  dir_ = templ;
  start();
}

RedisServer::~RedisServer() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void RedisServer::start() {
  std::string bin = redisServerBinary();
  std::string port = std::to_string(port_);
  std::vector<std::string> args{bin,
                                "--bind",
                                host_,
                                "--port",
                                port,
                                "--dir",
                                dir_,
                                "--save",
                                "",
                                "--appendonly",
                                appendonly_ ? "yes" : "no",
                                "--appendfsync",
                                "always",
                                "--daemonize",
                                "no",
                                "--loglevel",
                                "warning",
                                "--logfile",
                                dir_ + "/redis.log"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::execvp(bin.c_str(), argv.data());
    ::_exit(127);
  }
  if (pid_ < 0) throw std::runtime_error("fork failed");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (answersPing(host_, port_)) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error(
          "redis-server exited at start (is it installed? see tools/install-deps.sh)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("redis-server did not listen within 10 s on port " + port);
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void RedisServer::crashAndRestart() {
  stop();
  start();
}

}  // namespace callmesh::testing
