// Seed 000_246ae9c7ee9a1def.txt "Enhanced Forwarding" (issue 19): the API's recording command goes
// to every ingress replica and the one holding the call answers it. Real ZeroMQ on loopback with
// three stand-in ingresses (ReplyServer, as the ingress binds ingress.control_bind); no CURVE here
// (tests/e2e covers the keys).
#include "services/notification/recording_control.h"

#include <gtest/gtest.h>

#include <capnp/message.h>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "shared/codec/capnp_codec.h"
#include "shared/transport/envelope.h"
#include "shared/transport/reply_server.h"

namespace callmesh::notification {
namespace {

using Outcome = schema::RecordingOutcome;

// Stand-in ingress replicas: `holder` (an index, or -1) holds call "c1"; `silent` never answers.
class Replicas {
 public:
  Replicas(zmq::context_t& context, int holder, int silent) {
    for (int i = 0; i < 3; ++i) {
      auto s = std::make_unique<transport::ReplyServer>(context, "tcp://127.0.0.1:*",
                                                        transport::SocketSecurity{});
      endpoints.push_back(s->boundEndpoint());
      bool holds = i == holder;
      s->handle(std::string(transport::message_type::kRecording),
                [this, holds](const zmq::message_t& p) -> Result<std::vector<uint8_t>> {
                  auto cmd = codec::decode<schema::RecordingCommand>(p.data(), p.size(), "cmd");
                  if (!cmd.ok()) return cmd.error();
                  auto c = cmd.value()->root();
                  capnp::MallocMessageBuilder mb;
                  auto r = mb.initRoot<schema::RecordingReply>();
                  bool ours = holds && std::string(c.getCallId()) == "c1";
                  if (ours) {
                    requested_by = std::string(c.getRequestedBy());
                    r.setOutcome(Outcome::APPLIED);
                    r.setRecording(c.getAction() == schema::RecordingAction::START);
                    r.setSegments(2);
                  } else {
                    r.setOutcome(Outcome::UNKNOWN_CALL);
                  }
                  return codec::encodeToBytes(mb);
                });
      if (i != silent)
        servers_.push_back(std::move(s));
      else
        silent_ = std::move(s);
    }
    thread_ = std::thread([this] {
      while (!stop_) {
        for (auto& s : servers_) s->serveReady();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  ~Replicas() {
    stop_ = true;
    thread_.join();
  }
  std::vector<std::string> endpoints;
  std::string requested_by;  // written by the serving thread before it replies

 private:
  std::vector<std::unique_ptr<transport::ReplyServer>> servers_;
  std::unique_ptr<transport::ReplyServer> silent_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::unique_ptr<ZmqRecordingControl> controlFor(zmq::context_t& context, const Replicas& r,
                                                int timeout_ms) {
  auto watcher = std::make_shared<transport::EndpointWatcher>(r.endpoints, 3600000);
  return std::make_unique<ZmqRecordingControl>(context, watcher, transport::SocketSecurity{},
                                               timeout_ms);
}

TEST(ZmqRecordingControl, TheReplicaHoldingTheCallAnswersForAll) {
  zmq::context_t context(1);
  Replicas replicas(context, /*holder=*/1, /*silent=*/-1);
  auto control = controlFor(context, replicas, 5000);
  EXPECT_EQ(control->endpoints().size(), 3u);
  auto stopped = control->setRecording("c1", false, "alice");
  ASSERT_TRUE(stopped.ok()) << stopped.error().describe();
  EXPECT_EQ(stopped->outcome, Outcome::APPLIED);
  EXPECT_FALSE(stopped->recording);
  EXPECT_EQ(stopped->segments, 2);
  EXPECT_EQ(replicas.requested_by, "alice");
  auto started = control->setRecording("c1", true, "root");
  ASSERT_TRUE(started.ok());
  EXPECT_TRUE(started->recording);
}

TEST(ZmqRecordingControl, ACallNoReplicaHoldsIsUnknown) {
  zmq::context_t context(1);
  Replicas replicas(context, /*holder=*/1, /*silent=*/-1);
  auto control = controlFor(context, replicas, 5000);
  auto r = control->setRecording("c2", false, "alice");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, Outcome::UNKNOWN_CALL);
}

TEST(ZmqRecordingControl, AReplicaThatDoesNotAnswerMakesItUnavailableNotUnknown) {
  // The silent one might hold the call: "unknown" would be a lie, so the command fails.
  zmq::context_t context(1);
  Replicas replicas(context, /*holder=*/-1, /*silent=*/2);
  auto control = controlFor(context, replicas, 300);
  auto r = control->setRecording("c1", true, "root");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Timeout);
  EXPECT_EQ(r.error().message, "1 of 3 ingress replicas did not answer");
}

}  // namespace
}  // namespace callmesh::notification
