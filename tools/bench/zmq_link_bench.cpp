// What CURVE costs on a callmesh link (issue 18 item 4): one RequestClient (DEALER) and one
// ReplyServer (ROUTER), each with its own ZeroMQ context as two services have, over loopback
// TCP, with the transport's own classes and the keys and ZAP handler the services use.
//
//   BM_RoundTrip/<curve>/<bytes>  one request of <bytes> payload and its echo, on a connection
//                                 already up (what every call's router/limiter ask costs).
//                                 curve 0 = plain, 1 = CURVE + ZAP.
//   BM_Connect/<curve>            a fresh client: connect, handshake (CURVE: the key exchange
//                                 and the ZAP check) and its first round trip.
// Besides the wall time, cpu_us is the whole process's CPU time (every thread: libzmq's I/O
// threads do the encryption) per iteration, from getrusage.
//
// Build and run (results: docs/bench/zmq-curve.md):
//   cmake --build build -j2 --target callmesh_zmq_link_bench
//   build/shared/transport/callmesh_zmq_link_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true     (one command line)
// Instructions (all threads, independent of the machine's load), N round trips after the first:
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null
//       build/shared/transport/callmesh_zmq_link_bench --round-trips N --curve 0|1
//       --bytes 200                                 (one command line)
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "shared/base/clock.h"
#include "shared/transport/link_security.h"
#include "shared/transport/reply_server.h"
#include "shared/transport/request_client.h"

namespace {

using namespace callmesh;
using namespace callmesh::transport;

double processCpuUs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

// The cluster's keys as callmesh-zmq-keys writes them; the limiter serves, the ingress asks.
struct Keys {
  LinkSecurity server = LinkSecurity::plain(256 * 1024);
  LinkSecurity client = LinkSecurity::plain(256 * 1024);
  explicit Keys(bool curve) {
    if (!curve) return;
    std::map<std::string, CurveKeyPair> pairs;
    std::map<std::string, std::string> pub;
    for (auto name : kServiceNames) {
      pairs[std::string(name)] = generateKeyPair().value();
      pub[std::string(name)] = pairs[std::string(name)].public_key;
    }
    server =
        LinkSecurity::fromKeys("concurrency-limiter", pairs["concurrency-limiter"], pub, 256 * 1024)
            .value();
    client = LinkSecurity::fromKeys("ingress", pairs["ingress"], pub, 256 * 1024).value();
  }
};

// The serving side: its own context, ZAP handler (with CURVE) and an echo handler.
struct Server {
  explicit Server(const Keys& keys)
      : zap(keys.server.startAuthenticator(context)),
        reply(context, "tcp://127.0.0.1:0", keys.server.serving()) {
    reply.handle("echo", [](const zmq::message_t& p) -> Result<std::vector<uint8_t>> {
      auto* b = static_cast<const uint8_t*>(p.data());
      return std::vector<uint8_t>(b, b + p.size());
    });
  }
  zmq::context_t context{1};
  std::unique_ptr<ZapAuthenticator> zap;
  ReplyServer reply;
};

// One request through `client`, served by `server`, waited for on both sockets. Throws after 5 s
// (a broken link must not hang the benchmark).
void roundTrip(RequestClient& client, Server& server, const std::vector<uint8_t>& payload) {
  bool done = false;
  bool ok = false;
  client.request(payload, [&](Result<zmq::message_t> r) {
    done = true;
    ok = r.ok();
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done) {
    zmq::pollitem_t items[] = {{server.reply.socket().handle(), 0, ZMQ_POLLIN, 0},
                               {client.socket().handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 2, std::chrono::milliseconds(10));
    server.reply.serveReady();
    client.onReadable();
    client.onTick();
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("no reply in 5 s");
  }
  if (!ok) throw std::runtime_error("request failed");
}

void BM_RoundTrip(benchmark::State& state) {
  Keys keys(state.range(0) != 0);
  Server server(keys);
  zmq::context_t context(1);
  SystemClock clock;
  RequestClient client(context, {server.reply.boundEndpoint()}, "echo", clock, {1000, 3, 16},
                       keys.client.towards("concurrency-limiter"));
  std::vector<uint8_t> payload(static_cast<size_t>(state.range(1)), 0x5a);
  // The first request waits for the connection and its handshake: not measured here.
  roundTrip(client, server, payload);
  double cpu0 = processCpuUs();
  for (auto _ : state) roundTrip(client, server, payload);
  state.counters["cpu_us"] =
      benchmark::Counter((processCpuUs() - cpu0) / static_cast<double>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(1) * 2);
}
BENCHMARK(BM_RoundTrip)
    ->ArgNames({"curve", "bytes"})
    ->ArgsProduct({{0, 1}, {200, 16 * 1024}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// Waits (at most 5 s) until `client`'s handshake with the server succeeded, from libzmq's socket
// monitor, then sends the first request: with ZMQ_IMMEDIATE a request sent before that would wait
// for its retry deadline.
class HandshakeWatch : public zmq::monitor_t {
 public:
  bool succeeded = false;
  void on_event_handshake_succeeded(const zmq_event_t&, const char*) override { succeeded = true; }
};

void firstRoundTrip(zmq::context_t& context, RequestClient& client, Server& server,
                    const std::string& endpoint, const std::vector<uint8_t>& payload) {
  HandshakeWatch watch;
  watch.init(client.socket(), "inproc://bench-monitor", ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
  client.setEndpoints({endpoint});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!watch.succeeded) {
    watch.check_event(1);
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("no handshake in 5 s");
  }
  (void)context;
  // The pipe joins the socket just after the event: offered until it is on the wire.
  while (true) {
    uint64_t sent = client.stats().sent;
    bool done = false;
    uint64_t id = client.request(payload, [&](Result<zmq::message_t> r) { done = r.ok(); });
    if (client.stats().sent > sent) {
      while (!done) {
        zmq::pollitem_t items[] = {{server.reply.socket().handle(), 0, ZMQ_POLLIN, 0},
                                   {client.socket().handle(), 0, ZMQ_POLLIN, 0}};
        zmq::poll(items, 2, std::chrono::milliseconds(10));
        server.reply.serveReady();
        client.onReadable();
        client.onTick();
        if (std::chrono::steady_clock::now() > deadline)
          throw std::runtime_error("no reply in 5 s");
      }
      return;
    }
    client.cancel(id);
    watch.check_event(1);
  }
}

void BM_Connect(benchmark::State& state) {
  Keys keys(state.range(0) != 0);
  Server server(keys);
  SystemClock clock;
  std::vector<uint8_t> payload(200, 0x5a);
  double cpu0 = processCpuUs();
  for (auto _ : state) {
    zmq::context_t context(1);
    RequestClient client(context, {}, "echo", clock, {1000, 3, 16},
                         keys.client.towards("concurrency-limiter"));
    firstRoundTrip(context, client, server, server.reply.boundEndpoint(), payload);
  }
  state.counters["cpu_us"] =
      benchmark::Counter((processCpuUs() - cpu0) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_Connect)
    ->ArgNames({"curve"})
    ->Arg(0)
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// For callgrind: `--round-trips N --curve 0|1 --bytes B` runs one connection's N round trips
// (after its first) and exits; the instructions of N round trips are the difference between two
// runs with different N (setup, key generation and handshake cancel out).
int fixedRoundTrips(int n, bool curve, size_t bytes) {
  Keys keys(curve);
  Server server(keys);
  zmq::context_t context(1);
  SystemClock clock;
  RequestClient client(context, {}, "echo", clock, {1000, 3, 16},
                       keys.client.towards("concurrency-limiter"));
  std::vector<uint8_t> payload(bytes, 0x5a);
  firstRoundTrip(context, client, server, server.reply.boundEndpoint(), payload);
  for (int i = 0; i < n; ++i) roundTrip(client, server, payload);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 7 && std::string(argv[1]) == "--round-trips") {
    return fixedRoundTrips(std::stoi(argv[2]), std::string(argv[4]) == "1",
                           static_cast<size_t>(std::stoul(argv[6])));
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
