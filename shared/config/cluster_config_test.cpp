#include "shared/config/cluster_config.h"

#include <gtest/gtest.h>

#include "shared/config/cluster_config_test_data.h"

namespace callmesh::config {
namespace {

using test_data::kGood;

TEST(ClusterConfig, ParsesGoodFileAndAppliesDefaults) {
  auto cfg = parseClusterConfig(kGood, "/etc/callmesh/cluster.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  EXPECT_EQ(cfg->redis.port, 6390);
  EXPECT_EQ(cfg->ingress.sip_port, 5070);
  EXPECT_EQ(cfg->router.routing_file, "/etc/callmesh/routing.yaml");
  EXPECT_EQ(cfg->router.net.endpoints,
            std::vector<std::string>{"tcp://127.0.0.1:7001"});  // endpoint defaults to bind
  EXPECT_EQ(cfg->limiter.default_cap, 50);
  EXPECT_EQ(cfg->limiter.caps.at("+15550100"), 60);
  EXPECT_EQ(cfg->limiter.lease_ms, 30000);
  EXPECT_EQ(cfg->notification.net.bind, "tcp://127.0.0.1:7004");
  EXPECT_EQ(cfg->ingress.event_flush_ms, 50);
  EXPECT_EQ(cfg->ingress.event_flush_events, 512);
  EXPECT_EQ(cfg->ingress.heap_steady_decay_ms, 30000);
  EXPECT_EQ(cfg->ingress.heap_steady_after_s, 30);
  EXPECT_EQ(cfg->ingress.acquire_gather_ms, 10);
  EXPECT_EQ(cfg->ingress.cap_wait_ms, 200);
}

TEST(ClusterConfig, EventFlushCountIsBounded) {
  auto ok = parseClusterConfig(
      "router:\n  routing_file: r.yaml\ningress:\n  event_flush_events: 64\n", "c.yaml");
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(ok->ingress.event_flush_events, 64);
  auto bad = parseClusterConfig(
      "router:\n  routing_file: r.yaml\ningress:\n  event_flush_events: 8\n", "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "c.yaml:4: ingress.event_flush_events: must be between 16 and 4096 (got 8)");
}

TEST(ClusterConfig, HeapSteadyDecayIsBoundedAndZeroTurnsItOff) {
  auto off = parseClusterConfig(
      "router:\n  routing_file: r.yaml\ningress:\n  heap_steady_decay_ms: 0\n", "c.yaml");
  ASSERT_TRUE(off.ok()) << off.error().describe();
  EXPECT_EQ(off->ingress.heap_steady_decay_ms, 0);
  auto bad = parseClusterConfig(
      "router:\n  routing_file: r.yaml\ningress:\n  heap_steady_decay_ms: 600001\n", "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "c.yaml:4: ingress.heap_steady_decay_ms: must be between 0 and 600000 (got 600001)");
  auto after = parseClusterConfig(
      "router:\n  routing_file: r.yaml\ningress:\n  heap_steady_after_s: 0\n", "c.yaml");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().message,
            "c.yaml:4: ingress.heap_steady_after_s: must be between 1 and 3600 (got 0)");
}

TEST(ClusterConfig, EventFlushIntervalIsBounded) {
  auto ok = parseClusterConfig("router:\n  routing_file: r.yaml\ningress:\n  event_flush_ms: 10\n",
                               "c.yaml");
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(ok->ingress.event_flush_ms, 10);
  auto bad = parseClusterConfig(
      "router:\n  routing_file: r.yaml\ningress:\n  event_flush_ms: 5000\n", "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "c.yaml:4: ingress.event_flush_ms: must be between 10 and 1000 (got 5000)");
}

TEST(ClusterConfig, AcquireGatherWindowIsBoundedByFiftyMs) {
  auto ok = parseClusterConfig(
      "router:\n  routing_file: r.yaml\ningress:\n  acquire_gather_ms: 8\n", "c.yaml");
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(ok->ingress.acquire_gather_ms, 8);
  auto bad = parseClusterConfig(
      "router:\n  routing_file: r.yaml\ningress:\n  acquire_gather_ms: 500\n", "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "c.yaml:4: ingress.acquire_gather_ms: must be between 0 and 50 (got 500)");
}

// seed 004_ee4e98a6a7f6781b.txt (the 50-call cap): how long a call over it may wait for a freed
// slot is bounded; 0 turns callers away at once.
TEST(ClusterConfig, CapWaitIsBoundedAndZeroTurnsCallersAwayAtOnce) {
  auto off =
      parseClusterConfig("router:\n  routing_file: r.yaml\ningress:\n  cap_wait_ms: 0\n", "c.yaml");
  ASSERT_TRUE(off.ok()) << off.error().describe();
  EXPECT_EQ(off->ingress.cap_wait_ms, 0);
  auto bad = parseClusterConfig("router:\n  routing_file: r.yaml\ningress:\n  cap_wait_ms: 5000\n",
                                "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "c.yaml:4: ingress.cap_wait_ms: must be between 0 and 2000 (got 5000)");
}

TEST(ClusterConfig, RouterNoticesAndDecisionReuse) {
  auto defaults = parseClusterConfig("router:\n  routing_file: r.yaml\n", "c.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.error().describe();
  EXPECT_EQ(defaults->router.notices_bind, "tcp://127.0.0.1:7005");
  EXPECT_EQ(defaults->router.notices_endpoints,
            std::vector<std::string>{"tcp://127.0.0.1:7005"});  // defaults to bind
  EXPECT_EQ(defaults->router.decision_reuse_ms, 600000);
  auto set = parseClusterConfig(
      "router:\n  routing_file: r.yaml\n  notices_bind: tcp://0.0.0.0:7005\n"
      "  notices_endpoint: tcp://callmesh-router:7005\n  decision_reuse_ms: 0\n",
      "c.yaml");
  ASSERT_TRUE(set.ok()) << set.error().describe();
  EXPECT_EQ(set->router.notices_endpoints, std::vector<std::string>{"tcp://callmesh-router:7005"});
  EXPECT_EQ(set->router.decision_reuse_ms, 0);
  auto bad = parseClusterConfig("router:\n  routing_file: r.yaml\n  notices_bind: 127.0.0.1:7005\n",
                                "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "c.yaml:3: router.notices_bind: must be a ZeroMQ endpoint like tcp://127.0.0.1:7005");
}

// Issue 19 (seed 000_246ae9c7ee9a1def.txt "Enhanced Forwarding"): the ingress's recording control
// is off unless bound; its endpoints default to the bind, and a bind that is no endpoint is named.
TEST(ClusterConfig, IngressRecordingControlIsOffUnlessBound) {
  auto defaults = parseClusterConfig("router:\n  routing_file: r.yaml\n", "c.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.error().describe();
  EXPECT_EQ(defaults->ingress.control_bind, "");
  EXPECT_TRUE(defaults->ingress.control_endpoints.empty());
  auto bound = parseClusterConfig(
      "ingress:\n  control_bind: tcp://0.0.0.0:7006\nrouter:\n  routing_file: r.yaml\n", "c.yaml");
  ASSERT_TRUE(bound.ok()) << bound.error().describe();
  EXPECT_EQ(bound->ingress.control_endpoints, std::vector<std::string>{"tcp://0.0.0.0:7006"});
  auto named = parseClusterConfig(
      "ingress:\n  control_bind: tcp://0.0.0.0:7006\n"
      "  control_endpoint: [tcp://callmesh-ingress:7006]\nrouter:\n  routing_file: r.yaml\n",
      "c.yaml");
  ASSERT_TRUE(named.ok()) << named.error().describe();
  EXPECT_EQ(named->ingress.control_endpoints,
            std::vector<std::string>{"tcp://callmesh-ingress:7006"});
  auto bad = parseClusterConfig(
      "ingress:\n  control_bind: 0.0.0.0:7006\nrouter:\n  routing_file: r.yaml\n", "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "c.yaml:2: ingress.control_bind: must be a ZeroMQ endpoint like tcp://0.0.0.0:7006");
}

// Issue 18 item 4: CURVE is on unless a lab turns it off; keys live beside cluster.yaml unless
// told otherwise; every socket's frame bound defaults to the codec's 256 KiB.
TEST(ClusterConfig, ZmqCurveIsOnByDefaultWithKeysBesideTheConfig) {
  auto defaults = parseClusterConfig("router:\n  routing_file: r.yaml\n", "/etc/cm/c.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.error().describe();
  EXPECT_TRUE(defaults->zmq.curve);
  EXPECT_EQ(defaults->zmq.keys_dir, "/etc/cm/zmq-keys");
  EXPECT_EQ(defaults->zmq.max_message_bytes, 262144);
  EXPECT_EQ(defaults->zmq.resolve_interval_ms, 5000);
  auto set = parseClusterConfig(
      "zmq:\n  curve: off\n  keys_dir: /run/keys\n  max_message_bytes: 65536\n"
      "router:\n  routing_file: r.yaml\n",
      "/etc/cm/c.yaml");
  ASSERT_TRUE(set.ok()) << set.error().describe();
  EXPECT_FALSE(set->zmq.curve);
  EXPECT_EQ(set->zmq.keys_dir, "/run/keys");
  EXPECT_EQ(set->zmq.max_message_bytes, 65536);
  auto bad = parseClusterConfig(
      "zmq:\n  curve: maybe\n  max_message_bytes: 10\n"
      "router:\n  routing_file: r.yaml\n",
      "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "c.yaml:2: zmq.curve: must be on or off\n"
            "c.yaml:3: zmq.max_message_bytes: must be between 1024 and 67108864 (got 10)");
}

// An endpoint is one address or a list (one per replica); each must be a ZeroMQ endpoint.
TEST(ClusterConfig, EndpointsAreOneOrAList) {
  auto list = parseClusterConfig(
      "router:\n  routing_file: r.yaml\n  endpoint: [tcp://10.0.0.1:7001, "
      "tcp://router.callmesh.svc:7001]\n  notices_endpoint:\n    - tcp://10.0.0.1:7005\n"
      "    - tcp://10.0.0.2:7005\n",
      "c.yaml");
  ASSERT_TRUE(list.ok()) << list.error().describe();
  EXPECT_EQ(list->router.net.endpoints,
            (std::vector<std::string>{"tcp://10.0.0.1:7001", "tcp://router.callmesh.svc:7001"}));
  EXPECT_EQ(list->router.notices_endpoints,
            (std::vector<std::string>{"tcp://10.0.0.1:7005", "tcp://10.0.0.2:7005"}));
  auto bad = parseClusterConfig(
      "router:\n  routing_file: r.yaml\nconcurrency_limiter:\n  endpoint: [tcp://a:1, b:2]\n"
      "agent_presence:\n  endpoint: []\n",
      "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "c.yaml:4: concurrency_limiter.endpoint: 'b:2' must be a ZeroMQ endpoint like "
            "tcp://127.0.0.1:7001\n"
            "c.yaml:6: agent_presence.endpoint: must name at least one endpoint");
}

// Issue 16 item 5: agents' digest authentication is required unless turned off.
TEST(ClusterConfig, AgentAuthIsRequiredByDefault) {
  auto defaults = parseClusterConfig("router:\n  routing_file: r.yaml\n", "/etc/callmesh/c.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.error().describe();
  EXPECT_TRUE(defaults->ingress.agent_auth.required);
  EXPECT_EQ(defaults->ingress.agent_auth.credentials_file, "");
  EXPECT_EQ(defaults->ingress.agent_auth.algorithms, (std::vector<std::string>{"SHA-256", "MD5"}));
  auto set = parseClusterConfig(
      "router:\n  routing_file: r.yaml\ningress:\n  agent_auth: off\n"
      "  agent_credentials_file: secrets/agents\n  agent_auth_algorithms: [MD5]\n",
      "/etc/callmesh/c.yaml");
  ASSERT_TRUE(set.ok()) << set.error().describe();
  EXPECT_FALSE(set->ingress.agent_auth.required);
  EXPECT_EQ(set->ingress.agent_auth.credentials_file, "/etc/callmesh/secrets/agents");
  EXPECT_EQ(set->ingress.agent_auth.algorithms, (std::vector<std::string>{"MD5"}));
  auto bad = parseClusterConfig(
      "router:\n  routing_file: r.yaml\ningress:\n  agent_auth: maybe\n"
      "  agent_auth_algorithms: [SHA-1]\n",
      "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("ingress.agent_auth: must be required or off"),
            std::string::npos)
      << bad.error().message;
  EXPECT_NE(bad.error().message.find("'SHA-1' is not SHA-256 or MD5"), std::string::npos);
}

TEST(ClusterConfig, UnknownKeyNamesFileLineAndKey) {
  auto cfg = parseClusterConfig("router:\n  routing_file: r.yaml\n  bnid: tcp://x:1\n", "c.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message, "c.yaml:3: router.bnid: unknown key");
}

TEST(ClusterConfig, OutOfRangeValueSaysTheRange) {
  auto cfg =
      parseClusterConfig("router:\n  routing_file: r.yaml\nredis:\n  port: 70000\n", "c.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message, "c.yaml:4: redis.port: must be between 1 and 65535 (got 70000)");
}

TEST(ClusterConfig, MissingRequiredKey) {
  auto cfg = parseClusterConfig("router:\n  bind: tcp://127.0.0.1:1\n", "c.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message, "c.yaml:2: router.routing_file: is required");
}

TEST(ClusterConfig, ReportsEveryMistakeAtOnce) {
  auto cfg = parseClusterConfig(
      "router:\n  routing_file: r.yaml\n  bind: nonsense\n"
      "concurrency_limiter:\n  caps:\n    \"5550100\": 3\n    \"+15550101\": lots\n"
      "ingress:\n  trusted_sources: [\"10.0.0.0/99\"]\n",
      "c.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.error().message;
  EXPECT_NE(m.find("c.yaml:3: router.bind: must be a ZeroMQ endpoint"), std::string::npos) << m;
  EXPECT_NE(m.find("c.yaml:6: concurrency_limiter.caps.5550100: number must be E.164"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("c.yaml:7: concurrency_limiter.caps.+15550101: cap must be a whole number"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("c.yaml:9: ingress.trusted_sources: '10.0.0.0/99' is not a CIDR"),
            std::string::npos)
      << m;
}

// Issue 16, item 9: a typo in the ACL used to pass and leave only loopback trusted.
TEST(ClusterConfig, TrustedSourcesMustBeRealAddressesOrNetworks) {
  for (const char* bad : {"10.0.0.l/8", "gateway.example.com", "10.0.0.0/", "300.1.2.3/32",
                          "10.0.0.0/8x", "::g/64", "2001:db8::/129"}) {
    auto cfg = parseClusterConfig(std::string("router:\n  routing_file: r.yaml\ningress:\n"
                                              "  trusted_sources: [\"10.1.0.0/16\", \"") +
                                      bad + "\"]\n",
                                  "c.yaml");
    ASSERT_FALSE(cfg.ok()) << bad;
    EXPECT_EQ(cfg.error().message, std::string("c.yaml:4: ingress.trusted_sources: '") + bad +
                                       "' is not a CIDR like 10.0.0.0/8")
        << bad;
  }
  auto good = parseClusterConfig(
      "router:\n  routing_file: r.yaml\ningress:\n  trusted_sources: [\"10.1.0.0/16\", "
      "\"192.0.2.7\", \"2001:db8::/32\", \"::1\"]\n",
      "c.yaml");
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ(good->ingress.trusted_sources.size(), 4u);
}

// Issue 16, item 3: the RFC 3325 trust domain is checked like the ACL, and is empty by default.
TEST(ClusterConfig, IdentityTrustedSourcesAreCidrsAndEmptyByDefault) {
  auto cfg = parseClusterConfig(
      "router:\n  routing_file: r.yaml\ningress:\n  identity_trusted_sources: [\"10.2.0.0/16\", "
      "\"carrier.example.com\"]\n",
      "c.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message,
            "c.yaml:4: ingress.identity_trusted_sources: 'carrier.example.com' is not a CIDR like "
            "10.0.0.0/8");
  auto good = parseClusterConfig(
      "router:\n  routing_file: r.yaml\ningress:\n  identity_trusted_sources: [\"10.2.0.0/16\", "
      "\"2001:db8::1\"]\n",
      "c.yaml");
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ(good->ingress.identity_trusted_sources,
            (std::vector<std::string>{"10.2.0.0/16", "2001:db8::1"}));
  auto plain = parseClusterConfig("router:\n  routing_file: r.yaml\n", "c.yaml");
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->ingress.identity_trusted_sources.empty());
}

// Issue 16, item 9: a renewal period over a third of the lease lets one lost renewal free the
// slot of a live call.
TEST(ClusterConfig, LeaseRenewalMustFitThreeTimesInTheLease) {
  auto cfg = parseClusterConfig(
      "router:\n  routing_file: r.yaml\ningress:\n  lease_renew_ms: 15000\n"
      "concurrency_limiter:\n  lease_ms: 30000\n",
      "c.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message.rfind("c.yaml:4: ingress.lease_renew_ms: must be at most a third "
                                      "of concurrency_limiter.lease_ms (30000)",
                                      0),
            0u)
      << cfg.error().message;
  // The limit is inclusive, and a short lease with the default renewal is caught too.
  EXPECT_TRUE(parseClusterConfig("router:\n  routing_file: r.yaml\ningress:\n  lease_renew_ms: "
                                 "10000\nconcurrency_limiter:\n  lease_ms: 30000\n",
                                 "c.yaml")
                  .ok());
  auto short_lease = parseClusterConfig(
      "router:\n  routing_file: r.yaml\nconcurrency_limiter:\n  lease_ms: 20000\n", "c.yaml");
  ASSERT_FALSE(short_lease.ok());
  EXPECT_EQ(short_lease.error().message.rfind("c.yaml:4: ingress.lease_renew_ms:", 0), 0u)
      << short_lease.error().message;
}

TEST(ClusterConfig, YamlSyntaxErrorHasLine) {
  auto cfg = parseClusterConfig("router:\n  routing_file: [unclosed\n", "c.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().context.rfind("c.yaml:", 0), 0u);
  EXPECT_NE(cfg.error().message.find("YAML syntax"), std::string::npos);
}

TEST(ClusterConfig, SectionThatIsNotAMapping) {
  auto cfg = parseClusterConfig("router: 5\n", "c.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.error().message.find("c.yaml:1: router: must be a mapping"), std::string::npos)
      << cfg.error().message;
}

TEST(ClusterConfig, IngressProtectionSettings) {
  auto cfg = parseClusterConfig(
      "router:\n  routing_file: r.yaml\ningress:\n  untrusted_action: reject\n  rate_limit_rps: "
      "50\n"
      "  rate_limit_burst: 80\n  ban_s: 5\n  new_call_rps: 20\n  new_call_burst: 40\n"
      "  max_header_section_bytes: 8192\n",
      "c.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  EXPECT_TRUE(cfg->ingress.reject_untrusted);
  EXPECT_EQ(cfg->ingress.new_call_rps, 20);
  EXPECT_EQ(cfg->ingress.new_call_burst, 40);
  EXPECT_EQ(cfg->ingress.max_header_section_bytes, 8192);
  // The shipped defaults (README): a trunk's in-dialog traffic far above its new calls.
  auto defaults = parseClusterConfig("router:\n  routing_file: r.yaml\n", "c.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.error().describe();
  EXPECT_EQ(defaults->ingress.rate_limit_rps, 5000);
  EXPECT_EQ(defaults->ingress.new_call_rps, 100);
  EXPECT_EQ(defaults->ingress.new_call_burst, 200);
  EXPECT_EQ(defaults->ingress.max_header_section_bytes, 16384);
  EXPECT_EQ(cfg->ingress.rate_limit_rps, 50);
  EXPECT_EQ(cfg->ingress.rate_limit_burst, 80);
  EXPECT_EQ(cfg->ingress.ban_s, 5);
  auto bad = parseClusterConfig(
      "router:\n  routing_file: r.yaml\ningress:\n  untrusted_action: maybe\n", "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "c.yaml:4: ingress.untrusted_action: must be drop or reject");
}

// seed 004_ee4e98a6a7f6781b.txt (caps), issue 5: an account-wide cap over several numbers.
TEST(ClusterConfig, AccountCapsAndTheirMistakes) {
  auto cfg = parseClusterConfig(
      "router:\n  routing_file: r.yaml\nconcurrency_limiter:\n  accounts:\n"
      "    acme: {cap: 80, numbers: [\"+15550100\", \"+15550101\"]}\n",
      "c.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  EXPECT_EQ(cfg->limiter.accounts.at("acme").cap, 80);
  EXPECT_EQ(cfg->limiter.accounts.at("acme").numbers.size(), 2u);
  auto bad = parseClusterConfig(
      "router:\n  routing_file: r.yaml\nconcurrency_limiter:\n  accounts:\n"
      "    a: {cap: 5, numbers: [\"+15550100\"]}\n    b: {numbers: [\"+15550100\"]}\n",
      "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("c.yaml:6: concurrency_limiter.accounts.b.cap: is required"),
            std::string::npos)
      << bad.error().message;
  EXPECT_NE(bad.error().message.find("+15550100 already belongs to account a"), std::string::npos)
      << bad.error().message;
}

TEST(ClusterConfig, MissingFileIsNotFound) {
  auto cfg = loadClusterConfig("/nonexistent/cluster.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().kind, ErrorKind::NotFound);
  EXPECT_EQ(cfg.error().context, "/nonexistent/cluster.yaml");
}

}  // namespace
}  // namespace callmesh::config

namespace callmesh::config {
namespace {

// Issue 19: the media plane's section, optional (no anchoring without it).
TEST(ClusterConfig, MediaIsOffByDefaultAndReadsEveryKey) {
  auto none = parseClusterConfig("router:\n  routing_file: r.yaml\n", "/etc/c/cluster.yaml");
  ASSERT_TRUE(none.ok()) << none.error().describe();
  EXPECT_EQ(none->media.rtpengine, "");
  EXPECT_FALSE(none->media.fail_closed);
  EXPECT_EQ(none->media.ng_timeout_ms, 300);
  auto cfg = parseClusterConfig(
      "router:\n  routing_file: r.yaml\nmedia:\n  rtpengine: 127.0.0.1:2223\n  ng_timeout_ms: 150\n"
      "  ng_attempts: 2\n  ng_retry_after_ms: 500\n  fail_mode: closed\n  record: false\n"
      "  whisper_dir: whispers\n  dtmf_duration_ms: 80\n  dtmf_gap_ms: 120\n",
      "/etc/c/cluster.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  EXPECT_EQ(cfg->media.rtpengine, "127.0.0.1:2223");
  EXPECT_EQ(cfg->media.ng_timeout_ms, 150);
  EXPECT_EQ(cfg->media.ng_attempts, 2);
  EXPECT_EQ(cfg->media.ng_retry_after_ms, 500);
  EXPECT_TRUE(cfg->media.fail_closed);
  EXPECT_FALSE(cfg->media.record);
  EXPECT_EQ(cfg->media.whisper_dir, "/etc/c/whispers");
  EXPECT_EQ(cfg->media.dtmf_duration_ms, 80);
  EXPECT_EQ(cfg->media.dtmf_gap_ms, 120);
}

TEST(ClusterConfig, MediaRefusesANameAModeAndAnUnboundedTimeout) {
  auto cfg = parseClusterConfig(
      "router:\n  routing_file: r.yaml\nmedia:\n  rtpengine: rtpengine.local:2223\n"
      "  fail_mode: maybe\n  ng_timeout_ms: 60000\n",
      "cluster.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.error().message;
  EXPECT_NE(m.find("media.rtpengine: must be rtpengine's ng address as IP:port"), std::string::npos)
      << m;
  EXPECT_NE(m.find("media.fail_mode: must be open or closed"), std::string::npos) << m;
  EXPECT_NE(m.find("media.ng_timeout_ms"), std::string::npos) << m;
}

}  // namespace
}  // namespace callmesh::config
