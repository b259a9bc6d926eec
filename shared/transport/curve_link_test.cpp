// Issue 18 item 4 with real ZeroMQ sockets over loopback TCP: CURVE with the ZAP allow-list, the
// frame bound, and one client spreading its requests over several replicas.
#include <gtest/gtest.h>

#include <zmq.h>

#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "shared/transport/endpoint_watcher.h"
#include "shared/transport/envelope.h"
#include "shared/transport/link_security.h"
#include "shared/transport/reply_server.h"
#include "shared/transport/request_client.h"

namespace callmesh::transport {
namespace {

std::vector<uint8_t> bytesOf(const std::string& s) { return {s.begin(), s.end()}; }
std::string textOf(const zmq::message_t& m) {
  return {static_cast<const char*>(m.data()), m.size()};
}

// A cluster's keys, as callmesh-zmq-keys writes them.
struct ClusterKeys {
  std::map<std::string, CurveKeyPair> pairs;
  std::map<std::string, std::string> public_keys;
  ClusterKeys() {
    for (auto name : kServiceNames) {
      pairs[std::string(name)] = generateKeyPair().value();
      public_keys[std::string(name)] = pairs[std::string(name)].public_key;
    }
  }
  LinkSecurity of(const std::string& service) const {
    return LinkSecurity::fromKeys(service, pairs.at(service), public_keys, 256 * 1024).value();
  }
};

// One replica of the limiter: its own context (as its own process has), ZAP, one ROUTER.
struct Replica {
  explicit Replica(const LinkSecurity& security)
      : zap(security.startAuthenticator(context)),
        server(context, "tcp://127.0.0.1:0", security.serving()) {
    server.handle("echo", [this](const zmq::message_t& p) -> Result<std::vector<uint8_t>> {
      ++served;
      return bytesOf(name + ":" + textOf(p));
    });
  }
  zmq::context_t context{1};
  std::unique_ptr<ZapAuthenticator> zap;
  ReplyServer server;
  std::string name;
  int served = 0;
};

// Pumps client and replicas until `done` or a bounded number of 5 ms passes.
template <typename Done>
void pump(RequestClient& client, const std::vector<Replica*>& replicas, Done done,
          int passes = 400) {
  for (int i = 0; i < passes && !done(); ++i) {
    for (auto* r : replicas) r->server.serveReady();
    client.onReadable();
    client.onTick();
    zmq::pollitem_t item{client.socket().handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(5));
  }
}

// Sends one request from a client with `security` and reports the reply, if any.
std::optional<std::string> askOnce(const std::string& endpoint, const SocketSecurity& security,
                                   Replica& replica) {
  zmq::context_t ctx(1);
  SystemClock clock;
  RequestClient client(ctx, {endpoint}, "echo", clock, {100, 3, 10}, security);
  std::optional<std::string> reply;
  bool done = false;
  client.request(bytesOf("set alice dnd"), [&](Result<zmq::message_t> r) {
    done = true;
    if (r.ok()) reply = textOf(r.value());
  });
  pump(client, {&replica}, [&] { return done; });
  return reply;
}

TEST(CurveLinks, OnlyTheClusterClientKeysGetAnAnswer) {
  ClusterKeys keys;
  Replica limiter(keys.of("concurrency-limiter"));
  limiter.name = "limiter";
  std::string endpoint = limiter.server.boundEndpoint();
  // The ingress, a client of the limiter: answered.
  EXPECT_EQ(askOnce(endpoint, keys.of("ingress").towards("concurrency-limiter"), limiter),
            "limiter:set alice dnd");
  EXPECT_EQ(limiter.served, 1);
  // A stranger that knows the server's public key but holds no cluster key.
  SocketSecurity stranger;
  stranger.curve = true;
  auto own = generateKeyPair().value();
  stranger.public_key = own.public_key;
  stranger.secret_key = own.secret_key;
  stranger.server_key = keys.public_keys["concurrency-limiter"];
  EXPECT_EQ(askOnce(endpoint, stranger, limiter), std::nullopt);
  // A cluster key that is not the limiter's client (the router's).
  EXPECT_EQ(askOnce(endpoint, keys.of("router").towards("concurrency-limiter"), limiter),
            std::nullopt);
  // A peer without CURVE at all never completes a handshake, so it never reaches ZAP.
  EXPECT_EQ(askOnce(endpoint, SocketSecurity{}, limiter), std::nullopt);
  // None of them reached the handler; ZAP refused the two CURVE ones (each reconnect is a new
  // handshake, so at least once each).
  EXPECT_EQ(limiter.served, 1);
  EXPECT_EQ(limiter.server.stats().requests, 1u);
  EXPECT_EQ(limiter.zap->accepted(), 1u);
  EXPECT_GE(limiter.zap->refused(), 2u);
}

TEST(CurveLinks, AFrameOverTheBoundDropsThePeer) {
  zmq::context_t ctx(1);
  SocketSecurity bounded;
  bounded.max_message_bytes = 1024;
  ReplyServer server(ctx, "tcp://127.0.0.1:0", bounded);
  server.handle("echo", [](const zmq::message_t& p) -> Result<std::vector<uint8_t>> {
    return bytesOf(textOf(p));
  });
  ASSERT_EQ(zmq_socket_monitor(server.socket().handle(), "inproc://server-events",
                               ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED),
            0);
  zmq::socket_t events(ctx, zmq::socket_type::pair);
  events.connect("inproc://server-events");
  zmq::socket_t peer(ctx, zmq::socket_type::dealer);
  peer.set(zmq::sockopt::linger, 0);
  peer.connect(server.boundEndpoint());
  std::string big(2048, 'x');
  (void)peer.send(zmq::buffer(std::string("echo")), zmq::send_flags::sndmore);
  (void)peer.send(encodeRequestId(1), zmq::send_flags::sndmore);
  (void)peer.send(zmq::buffer(big), zmq::send_flags::none);
  // Read monitor events (each: [event u16 + value u32][endpoint]) until the disconnect.
  std::set<int> seen;
  for (int i = 0; i < 200 && !seen.count(ZMQ_EVENT_DISCONNECTED); ++i) {
    server.serveReady();
    zmq::message_t head;
    if (!events.recv(head, zmq::recv_flags::dontwait)) {
      zmq::pollitem_t item{events.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(10));
      continue;
    }
    zmq::message_t address;
    (void)events.recv(address);
    uint16_t event = 0;
    std::memcpy(&event, head.data(), sizeof(event));
    seen.insert(event);
  }
  EXPECT_TRUE(seen.count(ZMQ_EVENT_ACCEPTED));
  EXPECT_TRUE(seen.count(ZMQ_EVENT_DISCONNECTED));
  server.serveReady();
  EXPECT_EQ(server.stats().requests, 0u);  // the frame never reached the service
  zmq_socket_monitor(server.socket().handle(), nullptr, 0);
}

TEST(CurveLinks, OneClientSpreadsRequestsOverEveryReplicaAndRetriesPastADeadOne) {
  ClusterKeys keys;
  auto limiter_security = keys.of("concurrency-limiter");
  std::vector<std::unique_ptr<Replica>> replicas;
  std::vector<std::string> endpoints;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(std::make_unique<Replica>(limiter_security));
    replicas.back()->name = "r" + std::to_string(i);
    endpoints.push_back(replicas.back()->server.boundEndpoint());
  }
  zmq::context_t ctx(1);
  SystemClock clock;
  RequestClient client(ctx, {}, "echo", clock, {150, 3, 1000},
                       keys.of("ingress").towards("concurrency-limiter"));
  client.follow(std::make_shared<EndpointWatcher>(endpoints, 60000));
  EXPECT_EQ(client.endpoints().size(), 3u);
  std::vector<Replica*> all{replicas[0].get(), replicas[1].get(), replicas[2].get()};
  // Let every handshake finish first: a DEALER round-robins over connected peers only.
  std::map<std::string, std::string> replies;  // request text -> reply text
  auto ask = [&](const std::string& text) {
    client.request(bytesOf(text), [&replies, text](Result<zmq::message_t> r) {
      replies[text] = r.ok() ? textOf(r.value()) : "error:" + r.error().message;
    });
  };
  ask("warmup");
  pump(client, all, [&] { return replies.size() == 1; });
  for (int spin = 0; spin < 40; ++spin)
    pump(
        client, all, [] { return false; }, 1);
  replies.clear();
  for (int i = 0; i < 30; ++i) ask("q" + std::to_string(i));
  pump(client, all, [&] { return replies.size() == 30; });
  ASSERT_EQ(replies.size(), 30u);
  for (const auto& [text, reply] : replies) {
    // Each reply answers its own request, whichever replica took it.
    ASSERT_EQ(reply.substr(reply.find(':') + 1), text) << reply;
  }
  for (auto* r : all) EXPECT_GE(r->served, 5) << r->name;  // 30 over 3: each takes a share

  // Replica 0 stops answering with requests on its way to it: they time out there and are
  // retried on the other two; every request still gets its own answer.
  replies.clear();
  int before = replicas[0]->served;
  for (int i = 0; i < 9; ++i) ask("after" + std::to_string(i));
  std::vector<Replica*> survivors{replicas[1].get(), replicas[2].get()};
  replicas[0].reset();  // closes its socket: its queued requests are lost with it
  pump(client, survivors, [&] { return replies.size() == 9; });
  ASSERT_EQ(replies.size(), 9u);
  for (const auto& [text, reply] : replies) {
    EXPECT_TRUE(reply.rfind("r1:", 0) == 0 || reply.rfind("r2:", 0) == 0) << reply;
    EXPECT_EQ(reply.substr(3), text);
  }
  EXPECT_GE(before, 5);
  EXPECT_GT(client.stats().retries, 0u);
}

}  // namespace
}  // namespace callmesh::transport
