// Router decision time (issue 4): a routing.yaml of 10,000 inbound numbers (tracking, company and
// CRM) and a CRM of 10,000 contacts, both generated in memory; presence and contacts from
// in-memory directories so only the router's own work is measured.
//
//   BM_Decide/<kind>   RoutePlanner::decide for one kind of call; p50_us / p99_us are per-call
//                      percentiles measured around each decision (the target: median < 50 us).
//   BM_Handle/<kind>   RouterService::handle: decode RouteRequest + decide + encode RouteDecision,
//                      what the router does per ZeroMQ request.
//   BM_ToE164          one phone-number normalisation (libphonenumber), for scale.
//   BM_LoadConfig      parsing and validating the whole file (startup and every reload).
//
// Build and run (results: docs/bench/router.md):
//   make -C build-router -j1 callmesh_router_decision_bench
//   build-router/services/router/callmesh_router_decision_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true     (one command line)
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <capnp/message.h>

#include "schemas/call.capnp.h"
#include "services/router/phone_number.h"
#include "services/router/route_planner.h"
#include "services/router/router_service.h"
#include "services/router/testing/in_memory_directories.h"
#include "services/router/time_zone.h"
#include "shared/codec/capnp_codec.h"

namespace {

using namespace callmesh;
using namespace callmesh::router;

constexpr int kTrackingNumbers = 8000;
constexpr int kCompanyNumbers = 1000;
constexpr int kCrmNumbers = 1000;  // 10,000 inbound numbers in all
constexpr int kContacts = 10000;
constexpr int kKnownCallers = 7000;  // 3,000 of them have two contacts (seed 004 duplicates)
constexpr int kAgents = 500;
constexpr int kQueues = 50;
constexpr int kGeoRouters = 10;
constexpr int kZipsPerGeoRouter = 50;

// A possible North American number: +1 <area> <7 digits from 2000000 + i>.
std::string phone(const char* area, int i) {
  return std::string("+1") + area + std::to_string(2000000 + i);
}
std::string trackingNumber(int i) { return phone("800", i); }
std::string companyNumber(int i) { return phone("888", i); }
std::string crmNumber(int i) { return phone("877", i); }
std::string knownCaller(int i) { return phone("917", i); }
std::string unknownCaller(int i) { return phone("415", i); }
std::string zip(int g, int z) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%05d", 10000 + g * kZipsPerGeoRouter + z);
  return buf;
}

std::string generateRouting() {
  std::string y;
  y.reserve(4 << 20);
  y += "pstn_gateway: \"gw.example.internal:5060\"\n";
  y += "locations:\n  - {id: nyc, time_zone: America/New_York}\n";
  y += "schedules:\n  - {id: office, location: nyc, hours: [{days: mon-fri, from: \"09:00\", to: "
       "\"17:00\"}], holidays: [\"2026-11-26\", \"2026-12-25\"]}\n";
  y += "agents:\n";
  for (int a = 0; a < kAgents; ++a) {
    y += "  - {id: a" + std::to_string(a) + ", number: \"" + phone("646", a) + "\"}\n";
  }
  y += "receiving_numbers:\n";
  for (int q = 0; q < kQueues; ++q) {  // each queue's voicemail
    y += "  - {number: \"" + phone("332", q) + "\", uri: \"sip:vm" + std::to_string(q) +
         "@vm.example.internal\"}\n";
  }
  for (int i = 0; i < kTrackingNumbers; i += 4) {  // rung alone: schedule + no-answer queue
    std::string q = "q" + std::to_string(i % kQueues);
    y += "  - {number: \"" + phone("212", i) + "\", extension: \"3ww1928\", caller_id: " +
         "tracking_number, ring_timeout_s: 20, schedule: {id: office, when_closed: {queue: " + q +
         "}}, tagging_hours: {schedule: office, after_hours_max_duration_s: 120}, no_answer: " +
         "{queue: " + q + "}}\n";
  }
  y += "queues:\n";
  const char* strategies[] = {"ring_all", "round_robin", "longest_idle"};
  for (int q = 0; q < kQueues; ++q) {
    y += "  - {id: q" + std::to_string(q) + ", strategy: " + strategies[q % 3] + ", agents: [";
    for (int k = 0; k < 8; ++k) y += (k ? ", a" : "a") + std::to_string((q * 8 + k) % kAgents);
    y += "], ring_timeout_s: 15, no_answer: {number: \"" + phone("332", q) + "\"}}\n";
  }
  y += "geo_routers:\n";
  for (int g = 0; g < kGeoRouters; ++g) {
    y += "  - id: g" + std::to_string(g) + "\n    routes:\n";
    for (int z = 0; z < kZipsPerGeoRouter; ++z) {
      y += "      - {zips: [\"" + zip(g, z) + "\"], number: \"" +
           phone("213", g * kZipsPerGeoRouter + z) + "\"}\n";
    }
    y += "      - {area_codes: [\"+1415\", \"+1628\"], number: \"" + phone("510", g) + "\"}\n";
    y += "    default: {queue: q" + std::to_string(g) + "}\n";
  }
  y += "tracking_numbers:\n";
  for (int i = 0; i < kTrackingNumbers; ++i) {
    y += "  - number: \"" + trackingNumber(i) + "\"\n";
    switch (i % 4) {
      case 0:
        y += "    whisper: \"campaign-" + std::to_string(i) + "\"\n";
        y += "    receiving_numbers: [\"" + phone("212", i) + "\"]\n";
        break;
      case 1:
        y += "    ring: in_order\n    ring_timeout_s: 20\n    receiving_numbers: [\"" +
             phone("312", i) + "\", \"" + phone("312", i + 1) + "\", \"" + phone("312", i + 2) +
             "\"]\n    no_answer: {queue: q" + std::to_string(i % kQueues) + "}\n";
        break;
      case 2:
        y += "    route: {geo_router: g" + std::to_string(i % kGeoRouters) + "}\n";
        break;
      default:
        y += "    route: {queue: q" + std::to_string(i % kQueues) + "}\n";
    }
  }
  y += "company_numbers:\n";
  for (int i = 0; i < kCompanyNumbers; ++i) {
    std::string blast;
    for (int k = 0; k < 5; ++k) blast += (k ? ", a" : "a") + std::to_string((i + k * 7) % kAgents);
    y += "  - number: \"" + companyNumber(i) + "\"\n    location: nyc\n    source: \"Company " +
         std::to_string(i) + "\"\n    unknown_callers:\n      rules:\n";
    y += "        - {name: evenings, active_hours: [{days: mon-fri, from: \"17:00\", to: "
         "\"22:00\"}], route: {blast: [" +
         blast + "]}}\n";
    y += "        - {name: weekends, active_hours: [{days: [sat, sun], from: \"00:00\", to: "
         "\"24:00\"}], route: {number: \"" +
         phone("718", i) + "\"}}\n";
    y += "      default: {user: a" + std::to_string(i % kAgents) + "}\n";
  }
  y += "crm_numbers:\n";
  for (int i = 0; i < kCrmNumbers; ++i) {
    y += "  - {number: \"" + crmNumber(i) + "\", forwarding_number: \"" + phone("347", i) +
         "\", company_phone: \"" + phone("929", i) + "\"}\n";
  }
  return y;
}

// Everything a decision reads, built once for all benchmarks.
struct World {
  std::string yaml = generateRouting();
  RoutingConfig config;
  testing::InMemoryAgentAvailability presence;
  testing::InMemoryContactDirectory contacts;
  QueueCursors cursors;
  std::map<std::string, std::vector<CallQuery>> calls;  // by kind

  World() {
    auto parsed = parseRoutingConfig(yaml, "generated-routing.yaml");
    if (!parsed.ok()) {
      std::fprintf(stderr, "%s\n", parsed.error().describe().c_str());
      std::abort();
    }
    config = std::move(parsed.value());
    for (int a = 0; a < kAgents; ++a) {  // a realistic mix: some away, some on a call
      std::string id = "a" + std::to_string(a);
      if (a % 10 == 3)
        presence.set(id, AgentPresence::Unavailable);
      else if (a % 10 == 7)
        presence.set(id, AgentPresence::Busy);
      else
        presence.set(id, AgentPresence::Available, 1'700'000'000'000 + a * 1000);
    }
    for (int c = 0; c < kContacts; ++c) {
      contacts.add(knownCaller(c % kKnownCallers),
                   Contact{"contact-" + std::to_string(c), "a" + std::to_string((c * 13) % kAgents),
                           1'600'000'000'000 + c});
    }
    // Mon 10:00 New York (office open) and Mon 17:30 (closed; evening rule on), alternating.
    const int64_t open = parseRfc3339("2026-11-23T15:00:00Z").value();
    const int64_t evening = parseRfc3339("2026-11-23T22:30:00Z").value();
    auto query = [&](std::string dialed, std::string caller, int i, std::string zip = "") {
      CallQuery q;
      q.call_id = "bench-" + std::to_string(i) + "@gw.example.internal";
      q.dialed = std::move(dialed);
      q.caller = std::move(caller);
      q.caller_zip = std::move(zip);
      q.received_at_ms = i % 2 ? evening : open;
      return q;
    };
    for (int n = 0; n < 4096; ++n) {
      int i = (n * 7919) % kTrackingNumbers;  // spread over the whole table
      const char* kinds[] = {"tracking_alone", "tracking_in_order", "geo", "queue"};
      int t = i - i % 4;
      for (int k = 0; k < 4; ++k) {
        std::string z = k == 2 && n % 2 ? zip(n % kGeoRouters, n % kZipsPerGeoRouter) : "";
        calls[kinds[k]].push_back(query(trackingNumber(t + k), unknownCaller(n), n, z));
      }
      int c = (n * 7919) % kCompanyNumbers;
      calls["company_known"].push_back(query(companyNumber(c), knownCaller(n % kKnownCallers), n));
      calls["company_unknown"].push_back(query(companyNumber(c), unknownCaller(n), n));
      calls["crm"].push_back(
          query(crmNumber((n * 7919) % kCrmNumbers), knownCaller((n * 3) % kKnownCallers), n));
    }
    for (const auto& [kind, qs] : calls) {
      if (kind == "mixed") continue;
      for (size_t i = 0; i < qs.size(); i += 7) calls["mixed"].push_back(qs[i]);
    }
    std::shuffle(calls["mixed"].begin(), calls["mixed"].end(), std::mt19937(42));
  }
};

World& world() {
  static World w;
  return w;
}

void percentiles(benchmark::State& state, std::vector<double>& ns) {
  if (ns.empty()) return;
  std::sort(ns.begin(), ns.end());
  state.counters["p50_us"] = ns[ns.size() / 2] / 1000.0;
  state.counters["p99_us"] = ns[ns.size() * 99 / 100] / 1000.0;
}

void BM_Decide(benchmark::State& state, const char* kind) {
  World& w = world();
  const auto& qs = w.calls.at(kind);
  NoOutboundHistory outbound;
  SystemRandomSource random;
  RoutePlanner planner(w.config, w.presence, w.contacts, w.cursors, outbound, random);
  std::vector<double> ns;
  ns.reserve(1 << 20);
  size_t i = 0;
  for (auto _ : state) {
    const CallQuery& q = qs[i++ % qs.size()];
    auto t0 = std::chrono::steady_clock::now();
    RouteOutcome out = planner.decide(q);
    auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(out);
    if (ns.size() < ns.capacity())
      ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
    if (out.reject && out.status != 480) state.SkipWithError("unexpected rejection");
  }
  percentiles(state, ns);
}

// RouterService reads the file itself (as on startup), then serves pre-encoded requests.
void BM_Handle(benchmark::State& state, const char* kind) {
  World& w = world();
  char dir[] = "/tmp/callmesh-router-bench-XXXXXX";
  if (!::mkdtemp(dir)) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  std::string file = std::string(dir) + "/routing.yaml";
  std::ofstream(file) << w.yaml;
  prometheus::Registry registry;
  RouterMetrics metrics(registry);
  Logger log("router-bench", LogLevel::Info);
  NoOutboundHistory outbound;
  SystemRandomSource random;
  RouterService service(file, 0, metrics, log, w.presence, w.contacts, outbound, random);
  if (!service.loadInitial().ok()) {
    state.SkipWithError("load failed");
    return;
  }
  std::vector<kj::Array<capnp::word>> frames;
  for (const auto& q : w.calls.at(kind)) {
    capnp::MallocMessageBuilder mb;
    auto r = mb.initRoot<schema::RouteRequest>();
    r.setCallId(q.call_id);
    r.setDialed(q.dialed);
    r.setCaller(q.caller);
    r.setCallerZip(q.caller_zip);
    r.setReceivedAtMs(q.received_at_ms);
    frames.push_back(codec::encode(mb));
  }
  std::vector<double> ns;
  ns.reserve(1 << 20);
  size_t i = 0;
  for (auto _ : state) {
    auto bytes = frames[i++ % frames.size()].asBytes();
    auto t0 = std::chrono::steady_clock::now();
    zmq::message_t frame(bytes.begin(), bytes.size());  // the copy the socket hands us
    auto reply = service.handle(frame);
    auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(reply);
    if (ns.size() < ns.capacity())
      ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
    if (!reply.ok()) state.SkipWithError("handle failed");
  }
  percentiles(state, ns);
  std::filesystem::remove_all(dir);
}

// One libphonenumber parse + format, the single largest cost in a decision. The planner skips it
// for a dialed number that is already one of ours and parses the caller only when a rule needs it.
void BM_ToE164(benchmark::State& state) {
  int i = 0;
  for (auto _ : state) {
    auto e164 = toE164(knownCaller(i++ % kKnownCallers));
    benchmark::DoNotOptimize(e164);
  }
}

void BM_LoadConfig(benchmark::State& state) {
  const std::string& yaml = world().yaml;
  for (auto _ : state) {
    auto cfg = parseRoutingConfig(yaml, "generated-routing.yaml");
    benchmark::DoNotOptimize(cfg);
  }
  state.counters["numbers"] = kTrackingNumbers + kCompanyNumbers + kCrmNumbers;
  state.counters["yaml_bytes"] = static_cast<double>(yaml.size());
}

}  // namespace

BENCHMARK_CAPTURE(BM_Decide, tracking_alone, "tracking_alone");
BENCHMARK_CAPTURE(BM_Decide, tracking_in_order, "tracking_in_order");
BENCHMARK_CAPTURE(BM_Decide, geo, "geo");
BENCHMARK_CAPTURE(BM_Decide, queue, "queue");
BENCHMARK_CAPTURE(BM_Decide, company_known, "company_known");
BENCHMARK_CAPTURE(BM_Decide, company_unknown, "company_unknown");
BENCHMARK_CAPTURE(BM_Decide, crm, "crm");
BENCHMARK_CAPTURE(BM_Decide, mixed, "mixed");
BENCHMARK_CAPTURE(BM_Handle, mixed, "mixed");
BENCHMARK_CAPTURE(BM_Handle, company_unknown, "company_unknown");
BENCHMARK(BM_ToE164);
BENCHMARK(BM_LoadConfig)->Unit(benchmark::kMillisecond)->Iterations(3);

BENCHMARK_MAIN();
