// callmesh-e2e-zmq-peer: one well-formed request to a callmesh service, sent the way an outsider
// on the pod network could (issue 18 item 4 e2e). Exit 0 when the service answered, 3 when it
// did not within --wait-ms, 2 on a usage mistake. The request is sent once the handshake
// succeeded (so "no answer" from a refused handshake says so on stdout, and an accepted peer's
// request is not lost to a connection still in its handshake).
//
//   --endpoint tcp://127.0.0.1:PORT  --message presence-dnd|slot-acquire|slot-release|missed-call
//   --agent ID --number E164 --call-id ID --caller E164
//   --call-id-bytes N  the call id is N bytes of 'x' instead (a frame over the bound: one
//                      argument of 300 KiB is over the kernel's limit for a command line)
//   --key FILE         a keypair file (<service>.key format) to talk CURVE with; absent = no CURVE
//   --server-key Z85   the service's public key (with --key)
//   --wait-ms N        how long to wait for the answer (default 1500)
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <capnp/message.h>

#include "schemas/call.capnp.h"
#include "schemas/limiter.capnp.h"
#include "schemas/presence.capnp.h"
#include "shared/base/clock.h"
#include "shared/codec/call_event_batch.h"
#include "shared/codec/capnp_codec.h"
#include "shared/transport/curve_keys.h"
#include "shared/transport/envelope.h"
#include "shared/transport/link_security.h"
#include "shared/transport/request_client.h"

using namespace callmesh;

namespace {

// The client socket's handshake outcome, from libzmq's socket monitor.
class HandshakeWatch : public zmq::monitor_t {
 public:
  bool succeeded = false;
  std::string failure = "no handshake completed";

  void on_event_handshake_succeeded(const zmq_event_t&, const char*) override { succeeded = true; }
  void on_event_handshake_failed_auth(const zmq_event_t& e, const char*) override {
    failure = "handshake refused by the server (ZAP status " + std::to_string(e.value) + ")";
  }
  void on_event_handshake_failed_protocol(const zmq_event_t&, const char*) override {
    failure = "handshake failed: protocol (security mechanisms differ)";
  }
  void on_event_handshake_failed_no_detail(const zmq_event_t&, const char*) override {
    failure = "handshake failed";
  }
};

std::vector<uint8_t> payloadFor(const std::map<std::string, std::string>& a, std::string& type) {
  const std::string& what = a.at("message");
  capnp::MallocMessageBuilder mb;
  if (what == "presence-dnd") {
    type = transport::message_type::kPresence;
    auto u = mb.initRoot<schema::PresenceRequest>().initUpdate();
    u.setAgentId(a.at("agent"));
    u.setAvailability(schema::Availability::DO_NOT_DISTURB);
    return codec::encodeToBytes(mb);
  }
  if (what == "slot-acquire" || what == "slot-release") {
    type = transport::message_type::kLimiter;
    auto req = mb.initRoot<schema::LimiterRequest>();
    auto slot = what == "slot-acquire" ? req.initAcquire() : req.initRelease();
    slot.setNumber(a.at("number"));
    slot.setCallId(a.at("call-id"));
    return codec::encodeToBytes(mb);
  }
  if (what == "missed-call") {
    // An unanswered call that rang the agent: the notification service records a missed call.
    type = transport::message_type::kCallEvents;
    auto ev = mb.initRoot<schema::CallEvent>();
    ev.setEventId("forged:" + a.at("call-id"));
    ev.setCallId(a.at("call-id"));
    ev.setDialed(a.at("number"));
    ev.setCaller(a.at("caller"));
    ev.setAtMs(SystemClock().nowMs());
    auto end = ev.initEnded();
    end.setAnswered(false);
    end.setReason(schema::EndReason::NO_ANSWER);
    end.setStatus(480);
    end.setNumber(a.at("number"));
    // A company number's rule: the only kind that asks for follow-up (seed 004, issue 20).
    end.setRule("company_default_rule");
    auto leg = end.initRungLegs(1)[0];
    leg.setUri("sip:" + a.at("agent") + "@127.0.0.1");
    leg.setAgentId(a.at("agent"));
    std::vector<kj::Array<capnp::word>> one;
    one.push_back(codec::encode(mb));
    return codec::encodeCallEventBatch(one);
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> a{{"agent", "alice"},
                                       {"number", "+15550100"},
                                       {"call-id", "forged-1"},
                                       {"caller", "+15557770001"},
                                       {"wait-ms", "1500"}};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k.rfind("--", 0) != 0) break;
    a[k.substr(2)] = argv[i + 1];
  }
  if (!a.count("endpoint") || !a.count("message")) {
    std::fprintf(stderr, "usage: callmesh-e2e-zmq-peer --endpoint E --message M [...]\n");
    return 2;
  }
  if (a.count("call-id-bytes")) a["call-id"] = std::string(std::stoul(a["call-id-bytes"]), 'x');
  std::string type;
  auto payload = payloadFor(a, type);
  if (payload.empty()) {
    std::fprintf(stderr, "unknown --message %s\n", a["message"].c_str());
    return 2;
  }
  transport::SocketSecurity security;
  if (a.count("key")) {
    std::ifstream in(a["key"]);
    std::stringstream text;
    text << in.rdbuf();
    auto keys = transport::parseKeyPair(text.str(), a["key"]);
    if (!keys.ok() || !a.count("server-key")) {
      std::fprintf(stderr, "--key needs a keypair file and --server-key\n");
      return 2;
    }
    security.curve = true;
    security.public_key = keys->public_key;
    security.secret_key = keys->secret_key;
    security.server_key = a["server-key"];
  }
  zmq::context_t context(1);
  SystemClock clock;
  int wait_ms = std::stoi(a["wait-ms"]);
  // Connected only once the monitor watches, so the handshake's event cannot be missed.
  transport::RequestClient client(context, {}, type, clock, {wait_ms, 1, 4}, security);
  HandshakeWatch watch;
  watch.init(client.socket(), "inproc://zmq-peer-monitor",
             ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
  client.setEndpoints({a["endpoint"]});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (!watch.succeeded && std::chrono::steady_clock::now() < deadline) watch.check_event(10);
  if (!watch.succeeded) {
    std::printf("%s\n", watch.failure.c_str());
    return 3;
  }
  int outcome = -1;
  auto on_reply = [&](Result<zmq::message_t> r) {
    outcome = r.ok() ? 0 : 3;
    std::printf("%s\n", r.ok()
                            ? ("answered, " + std::to_string(r.value().size()) + " bytes").c_str()
                            : r.error().describe().c_str());
  };
  // The pipe to the peer joins the socket just after the handshake event: until the request
  // is on the wire it is withdrawn and offered again, never sent twice.
  uint64_t id = client.request(payload, on_reply);
  while (client.stats().sent == 0 && std::chrono::steady_clock::now() < deadline) {
    client.cancel(id);
    watch.check_event(5);
    id = client.request(payload, on_reply);
  }
  deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms + 1000);
  while (outcome < 0 && std::chrono::steady_clock::now() < deadline) {
    client.onReadable();
    client.onTick();
    zmq::pollitem_t item{client.socket().handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(10));
  }
  return outcome == 0 ? 0 : 3;
}
