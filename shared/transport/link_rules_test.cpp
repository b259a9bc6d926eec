// The pure rules of issue 18 item 4: key files, the ZAP allow-list decision, endpoint lists and
// names. No sockets.
#include <gtest/gtest.h>

#include <zmq.h>

#include "shared/transport/curve_keys.h"
#include "shared/transport/endpoint_resolution.h"
#include "shared/transport/zap_policy.h"

namespace callmesh::transport {
namespace {

// Two real keypairs (generated once with zmq_curve_keypair for these tests).
CurveKeyPair keypair() { return generateKeyPair().value(); }

std::string binaryOf(const std::string& z85) {
  std::string raw(32, '\0');
  zmq_z85_decode(reinterpret_cast<uint8_t*>(raw.data()), z85.c_str());
  return raw;
}

std::map<std::string, std::string> clusterKeys() {
  std::map<std::string, std::string> keys;
  for (auto name : kServiceNames) keys[std::string(name)] = keypair().public_key;
  return keys;
}

TEST(CurveKeys, AKeyFileRoundTripsAndMistakesNameTheirLine) {
  CurveKeyPair k = keypair();
  auto parsed = parseKeyPair(formatKeyPair(k, "router"), "router.key");
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed->public_key, k.public_key);
  EXPECT_EQ(parsed->secret_key, k.secret_key);

  auto missing = parseKeyPair("public " + k.public_key + "\n", "router.key");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().describe(), "router.key: needs both a public and a secret line");
  auto short_key = parseKeyPair("public abc\nsecret " + k.secret_key + "\n", "router.key");
  ASSERT_FALSE(short_key.ok());
  EXPECT_EQ(short_key.error().describe(),
            "router.key: line 1: the public key is not 40 characters of Z85");
  auto twice = parseKeyPair("public " + k.public_key + "\npublic " + k.public_key + "\n", "f");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().describe(), "f: line 2: a second public key");
  EXPECT_FALSE(parseKeyPair(std::string(70000, 'x'), "f").ok());  // bounded before parsing
}

TEST(CurveKeys, ClusterPubListsKnownServicesOnce) {
  auto keys = clusterKeys();
  auto parsed = parsePublicKeys(formatPublicKeys(keys), "cluster.pub");
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed.value(), keys);
  auto stranger = parsePublicKeys("mallory " + keys["router"] + "\n", "cluster.pub");
  ASSERT_FALSE(stranger.ok());
  EXPECT_EQ(stranger.error().describe(),
            "cluster.pub: line 1: 'mallory' is not a callmesh service");
  auto twice =
      parsePublicKeys("router " + keys["router"] + "\nrouter " + keys["ingress"] + "\n", "c");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().describe(), "c: line 2: router is listed twice");
}

std::vector<std::string> zapFrames(const std::string& mechanism, std::vector<std::string> creds) {
  std::vector<std::string> f{"1.0", "req-7", "callmesh", "10.0.0.9", "", mechanism};
  f.insert(f.end(), creds.begin(), creds.end());
  return f;
}

TEST(ZapPolicy, EachServerAcceptsOnlyItsClientsKeys) {
  auto keys = clusterKeys();
  auto limiter = ClientAllowList::forServer("concurrency-limiter", keys);
  ASSERT_TRUE(limiter.ok()) << limiter.error().describe();
  auto ingress = decideZap(zapFrames("CURVE", {binaryOf(keys["ingress"])}), limiter.value());
  EXPECT_EQ(ingress.status_code, "200");
  EXPECT_EQ(ingress.request_id, "req-7");
  EXPECT_EQ(ingress.user_id, "ingress");
  // A cluster key that is no client of the limiter (the router never asks it).
  auto router = decideZap(zapFrames("CURVE", {binaryOf(keys["router"])}), limiter.value());
  EXPECT_EQ(router.status_code, "400");
  EXPECT_EQ(router.status_text, "client key not in the cluster's allow-list");
  auto stranger = decideZap(zapFrames("CURVE", {binaryOf(keypair().public_key)}), limiter.value());
  EXPECT_EQ(stranger.status_code, "400");
  EXPECT_TRUE(stranger.user_id.empty());

  auto presence = ClientAllowList::forServer("agent-presence", keys);
  ASSERT_TRUE(presence.ok());
  EXPECT_EQ(presence->size(), 2u);
  EXPECT_EQ(
      decideZap(zapFrames("CURVE", {binaryOf(keys["notification"])}), presence.value()).user_id,
      "notification");
  // The ingress's recording control (issue 19) takes the notification API's commands only.
  auto ingress_control = ClientAllowList::forServer("ingress", keys);
  ASSERT_TRUE(ingress_control.ok());
  EXPECT_EQ(ingress_control->size(), 1u);
  EXPECT_EQ(decideZap(zapFrames("CURVE", {binaryOf(keys["notification"])}), ingress_control.value())
                .status_code,
            "200");
  EXPECT_EQ(decideZap(zapFrames("CURVE", {binaryOf(keys["router"])}), ingress_control.value())
                .status_code,
            "400");
  EXPECT_EQ(ClientAllowList::forServer("router-nobody", keys)->size(), 0u);  // serves nobody
}

TEST(ZapPolicy, OtherMechanismsAndMalformedRequestsAreRefused) {
  auto keys = clusterKeys();
  auto router = ClientAllowList::forServer("router", keys).value();
  EXPECT_EQ(decideZap(zapFrames("NULL", {}), router).status_code, "400");
  EXPECT_EQ(decideZap(zapFrames("PLAIN", {"user", "pass"}), router).status_code, "400");
  EXPECT_EQ(decideZap(zapFrames("CURVE", {"short"}), router).status_code, "400");
  EXPECT_EQ(decideZap(zapFrames("CURVE", {binaryOf(keys["ingress"]), "x"}), router).status_code,
            "400");
  auto truncated = decideZap({"1.0", "req-9", "callmesh"}, router);
  EXPECT_EQ(truncated.status_code, "500");
  EXPECT_EQ(truncated.request_id, "req-9");
  auto old = zapFrames("CURVE", {binaryOf(keys["ingress"])});
  old[0] = "0.9";
  EXPECT_EQ(decideZap(old, router).status_code, "500");
}

TEST(ZapPolicy, AClientWithoutAKeyInClusterPubIsAnError) {
  auto keys = clusterKeys();
  keys.erase("notification");
  auto presence = ClientAllowList::forServer("agent-presence", keys);
  ASSERT_FALSE(presence.ok());
  EXPECT_EQ(presence.error().describe(),
            "cluster.pub: no public key for notification, a client of agent-presence");
}

TEST(EndpointResolution, ParsesTcpEndpointsOnly) {
  auto v4 = parseTcpEndpoint("tcp://router.callmesh.svc:7001");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->host, "router.callmesh.svc");
  EXPECT_EQ(v4->port, "7001");
  auto v6 = parseTcpEndpoint("tcp://[fd00::1]:7001");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "fd00::1");
  EXPECT_FALSE(parseTcpEndpoint("ipc:///run/router.zmq").has_value());
  EXPECT_FALSE(parseTcpEndpoint("tcp://router:*").has_value());
  EXPECT_EQ(formatTcpEndpoint("fd00::1", "7001"), "tcp://[fd00::1]:7001");
  EXPECT_TRUE(isNumericAddress("10.0.0.1"));
  EXPECT_FALSE(isNumericAddress("router"));
}

TEST(EndpointResolution, ANameStandsForEveryAddressItResolvesTo) {
  std::map<std::string, Result<std::vector<std::string>>> dns;
  dns.emplace("router.svc", std::vector<std::string>{"10.0.0.2", "10.0.0.1", "10.0.0.2"});
  Resolver resolve = [&](const std::string& host) -> Result<std::vector<std::string>> {
    auto it = dns.find(host);
    if (it == dns.end()) return Error{ErrorKind::NotFound, "NXDOMAIN", host};
    return it->second;
  };
  std::vector<std::string> configured{"tcp://router.svc:7001", "tcp://10.0.0.9:7001",
                                      "ipc:///run/r.zmq"};
  EXPECT_TRUE(hasNames(configured));
  EXPECT_FALSE(hasNames({"tcp://10.0.0.9:7001", "ipc:///run/r.zmq"}));
  auto first = resolveEndpoints(configured, resolve, {});
  EXPECT_EQ(flatten(first),
            (std::vector<std::string>{"ipc:///run/r.zmq", "tcp://10.0.0.1:7001",
                                      "tcp://10.0.0.2:7001", "tcp://10.0.0.9:7001"}));
  // DNS fails: the name keeps the replicas it had rather than dropping every connection.
  dns.clear();
  auto during_outage = resolveEndpoints(configured, resolve, first);
  EXPECT_EQ(flatten(during_outage), flatten(first));
  // A replica joins and one leaves.
  dns.emplace("router.svc", std::vector<std::string>{"10.0.0.2", "10.0.0.3"});
  auto later = resolveEndpoints(configured, resolve, during_outage);
  auto changes = diffEndpoints(flatten(first), flatten(later));
  EXPECT_EQ(changes.connect, std::vector<std::string>{"tcp://10.0.0.3:7001"});
  EXPECT_EQ(changes.disconnect, std::vector<std::string>{"tcp://10.0.0.1:7001"});
}

TEST(EndpointResolution, AHostileAnswerIsBounded) {
  Resolver flood = [](const std::string&) -> Result<std::vector<std::string>> {
    std::vector<std::string> many;
    for (int i = 0; i < 1000; ++i)
      many.push_back("10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250));
    many.push_back("not-an-address");
    return many;
  };
  auto resolved = resolveEndpoints({"tcp://router.svc:7001"}, flood, {});
  EXPECT_EQ(flatten(resolved).size(), kMaxAddressesPerName);
}

TEST(EndpointResolution, TheSystemResolverAnswersLocalhost) {
  auto addresses = systemResolve("localhost");
  ASSERT_TRUE(addresses.ok()) << addresses.error().describe();
  ASSERT_FALSE(addresses->empty());
  for (const auto& a : addresses.value()) EXPECT_TRUE(isNumericAddress(a)) << a;
  EXPECT_FALSE(systemResolve("no-such-host.invalid").ok());
}

}  // namespace
}  // namespace callmesh::transport
