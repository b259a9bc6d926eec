// The notification service's presence client follows agent-presence's replicas (issue 18 item 4):
// a name resolved again between API requests changes what the socket connects to, without a
// request having to come first. The resolver is a fake; no socket listens (ZeroMQ connects
// lazily), so nothing here waits on the network.
#include "services/notification/presence_client.h"

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace callmesh::notification {
namespace {

struct FakeDns {
  std::mutex mutex;
  std::vector<std::string> addresses;
  transport::Resolver resolver() {
    return [this](const std::string&) -> Result<std::vector<std::string>> {
      std::lock_guard<std::mutex> lock(mutex);
      return addresses;
    };
  }
  void answer(std::vector<std::string> next) {
    std::lock_guard<std::mutex> lock(mutex);
    addresses = std::move(next);
  }
};

TEST(ZmqPresenceClient, FollowsReplicasBetweenRequests) {
  FakeDns dns;
  dns.answer({"10.0.0.1"});
  // An hour between the watcher's own passes: only the test's refresh() resolves again.
  auto watcher = std::make_shared<transport::EndpointWatcher>(
      std::vector<std::string>{"tcp://callmesh-agent-presence:7003"}, 3600000, dns.resolver());
  zmq::context_t context(1);
  ZmqPresenceClient client(context, watcher, transport::SocketSecurity{}, 100);
  EXPECT_EQ(client.endpoints(), std::vector<std::string>{"tcp://10.0.0.1:7003"});

  // A replica joins and the first one leaves; the service's timer calls refreshEndpoints().
  dns.answer({"10.0.0.2", "10.0.0.3"});
  watcher->refresh();
  client.refreshEndpoints();
  EXPECT_EQ(client.endpoints(),
            (std::vector<std::string>{"tcp://10.0.0.2:7003", "tcp://10.0.0.3:7003"}));

  // Nothing changed: the socket keeps its connections.
  watcher->refresh();
  client.refreshEndpoints();
  EXPECT_EQ(client.endpoints(),
            (std::vector<std::string>{"tcp://10.0.0.2:7003", "tcp://10.0.0.3:7003"}));
}

}  // namespace
}  // namespace callmesh::notification
