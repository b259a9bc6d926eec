#include <dirent.h>
#include <sched.h>

#include <gtest/gtest.h>
#include <algorithm>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "shared/transport/notice_channel.h"
#include "shared/transport/poll_loop.h"
#include "shared/transport/reply_server.h"
#include "shared/transport/request_client.h"
#include "shared/transport/service_context.h"

namespace callmesh::transport {
namespace {

std::vector<uint8_t> bytesOf(const std::string& s) { return {s.begin(), s.end()}; }
std::string textOf(const zmq::message_t& m) {
  return {static_cast<const char*>(m.data()), m.size()};
}

// Pumps both sides until `done` or the bounded number of passes runs out.
template <typename Done>
void pump(RequestClient& client, ReplyServer* server, Done done, int passes = 400) {
  for (int i = 0; i < passes && !done(); ++i) {
    if (server) server->serveReady();
    client.onReadable();
    client.onTick();
    zmq::pollitem_t item{client.socket().handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(5));
  }
}

TEST(Transport, RequestReplyRoundTripKeepsCorrelation) {
  zmq::context_t ctx(1);
  SystemClock clock;
  ReplyServer server(ctx, "inproc://rr1", {});
  server.handle("echo", [](const zmq::message_t& p) -> Result<std::vector<uint8_t>> {
    return bytesOf("re:" + textOf(p));
  });
  RequestClient client(ctx, {"inproc://rr1"}, "echo", clock, {}, {});
  std::map<uint64_t, std::string> got;
  uint64_t a =
      client.request(bytesOf("a"), [&](Result<zmq::message_t> r) { got[1] = textOf(r.value()); });
  uint64_t b =
      client.request(bytesOf("b"), [&](Result<zmq::message_t> r) { got[2] = textOf(r.value()); });
  EXPECT_NE(a, b);
  pump(client, &server, [&] { return got.size() == 2; });
  EXPECT_EQ(got[1], "re:a");
  EXPECT_EQ(got[2], "re:b");
  EXPECT_EQ(client.pending(), 0u);
  EXPECT_EQ(client.stats().replies, 2u);
}

// Requests waiting together go to a batch handler at once, each answered under its own id; a
// payload the handler refuses gets no reply (the client retries or times out) and is counted.
TEST(Transport, WaitingRequestsReachABatchHandlerTogether) {
  zmq::context_t ctx(1);
  SystemClock clock;
  ReplyServer server(ctx, "inproc://rrbatch", {});
  std::vector<size_t> batches;
  server.handleBatch("b", [&](const std::vector<const zmq::message_t*>& payloads) {
    batches.push_back(payloads.size());
    std::vector<Result<std::vector<uint8_t>>> out;
    for (const auto* p : payloads) {
      if (textOf(*p) == "bad") {
        out.push_back(Error{ErrorKind::InvalidInput, "refused"});
      } else {
        out.push_back(bytesOf("re:" + textOf(*p)));
      }
    }
    return out;
  });
  RequestClient client(ctx, {"inproc://rrbatch"}, "b", clock, {1000, 1, 100}, {});
  std::map<std::string, std::string> got;
  for (std::string q : {"x", "bad", "y"}) {
    client.request(bytesOf(q), [&got, q](Result<zmq::message_t> r) {
      got[q] = r.ok() ? textOf(r.value()) : "error";
    });
  }
  // All three are queued at the server before it serves.
  for (int i = 0; i < 200; ++i) {
    zmq::pollitem_t item{server.socket().handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(5));
    if (server.socket().get(zmq::sockopt::events) & ZMQ_POLLIN) break;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(server.serveReady(), 3u);
  pump(client, &server, [&] { return got.size() == 2; });
  EXPECT_EQ(batches, (std::vector<size_t>{3}));
  EXPECT_EQ(got["x"], "re:x");
  EXPECT_EQ(got["y"], "re:y");
  EXPECT_EQ(got.count("bad"), 0u);  // no reply: it times out after its one attempt
  EXPECT_EQ(server.stats().handler_errors, 1u);
}

TEST(Transport, TimesOutAfterConfiguredAttempts) {
  zmq::context_t ctx(1);
  SystemClock clock;
  // A server that never answers: handler errors are dropped, nothing goes back.
  ReplyServer server(ctx, "inproc://rr2", {});
  int seen = 0;
  server.handle("x", [&](const zmq::message_t&) -> Result<std::vector<uint8_t>> {
    ++seen;
    return Error{ErrorKind::Internal, "refusing"};
  });
  RequestClient client(ctx, {"inproc://rr2"}, "x", clock, {20, 3, 100}, {});
  std::optional<Error> err;
  client.request(bytesOf("q"), [&](Result<zmq::message_t> r) { err = r.error(); });
  pump(client, &server, [&] { return err.has_value(); });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->kind, ErrorKind::Timeout);
  EXPECT_EQ(seen, 3);  // three attempts reached the server
  EXPECT_EQ(client.stats().retries, 2u);
  EXPECT_EQ(server.stats().handler_errors, 3u);
}

TEST(Transport, RetryReachesAServerThatStartsLate) {
  zmq::context_t ctx(1);
  SystemClock clock;
  RequestClient client(ctx, {"tcp://127.0.0.1:47913"}, "echo", clock, {30, 0, 100}, {});
  std::string got;
  client.request(bytesOf("late"), [&](Result<zmq::message_t> r) { got = textOf(r.value()); });
  pump(
      client, nullptr, [] { return false; }, 5);  // nobody listening yet
  EXPECT_TRUE(got.empty());
  ReplyServer server(ctx, "tcp://127.0.0.1:47913", {});
  server.handle("echo", [](const zmq::message_t& p) -> Result<std::vector<uint8_t>> {
    return bytesOf(textOf(p));
  });
  pump(client, &server, [&] { return !got.empty(); });
  EXPECT_EQ(got, "late");
}

TEST(Transport, BoundedPendingRefusesWithOverloaded) {
  zmq::context_t ctx(1);
  SystemClock clock;
  RequestClient client(ctx, {"inproc://nowhere"}, "x", clock, {1000, 1, 2}, {});
  int overloaded = 0;
  for (int i = 0; i < 3; ++i) {
    client.request(bytesOf("q"), [&](Result<zmq::message_t> r) {
      if (!r.ok() && r.error().kind == ErrorKind::Overloaded) ++overloaded;
    });
  }
  EXPECT_EQ(overloaded, 1);
  EXPECT_EQ(client.stats().dropped_full, 1u);
}

TEST(Transport, MalformedEnvelopeIsCountedNotFatal) {
  zmq::context_t ctx(1);
  ReplyServer server(ctx, "inproc://rr3", {});
  zmq::socket_t raw(ctx, zmq::socket_type::dealer);
  raw.connect("inproc://rr3");
  (void)raw.send(zmq::str_buffer("just-one-frame"), zmq::send_flags::none);
  for (int i = 0; i < 50 && server.stats().malformed == 0; ++i) {
    server.serveReady();
    zmq::pollitem_t item{server.socket().handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(5));
  }
  EXPECT_EQ(server.stats().malformed, 1u);
}

TEST(Transport, LateReplyAfterCancelIsDropped) {
  zmq::context_t ctx(1);
  SystemClock clock;
  ReplyServer server(ctx, "inproc://rr4", {});
  server.handle("echo", [](const zmq::message_t& p) -> Result<std::vector<uint8_t>> {
    return bytesOf(textOf(p));
  });
  RequestClient client(ctx, {"inproc://rr4"}, "echo", clock, {}, {});
  bool called = false;
  uint64_t id = client.request(bytesOf("q"), [&](Result<zmq::message_t>) { called = true; });
  client.cancel(id);
  pump(client, &server, [&] { return client.stats().stale_replies > 0; });
  EXPECT_FALSE(called);
  EXPECT_EQ(client.stats().stale_replies, 1u);
}

TEST(Transport, AThrowingReplyHandlerIsCountedNotPropagated) {
  zmq::context_t ctx(1);
  SystemClock clock;
  ReplyServer server(ctx, "inproc://rr5", {});
  server.handle("echo", [](const zmq::message_t& p) -> Result<std::vector<uint8_t>> {
    return bytesOf(textOf(p));
  });
  RequestClient client(ctx, {"inproc://rr5"}, "echo", clock, {}, {});
  client.request(bytesOf("q"),
                 [](Result<zmq::message_t>) { throw std::runtime_error("bad reply"); });
  pump(client, &server, [&] { return client.stats().handler_exceptions > 0; });
  EXPECT_EQ(client.stats().handler_exceptions, 1u);
}

std::shared_ptr<EndpointWatcher> watching(const std::string& endpoint) {
  return std::make_shared<EndpointWatcher>(std::vector<std::string>{endpoint}, 60000);
}

kj::ArrayPtr<const kj::byte> view(const std::string& s) {
  return {reinterpret_cast<const kj::byte*>(s.data()), s.size()};
}

// Publishes `text` until the subscriber has one (a SUB joining late misses earlier notices, which
// is why senders repeat theirs), boundedly; returns what it read.
std::optional<std::string> publishUntilHeard(NoticePublisher& pub, NoticeSubscriber& sub,
                                             const std::string& text) {
  for (int i = 0; i < 200; ++i) {
    pub.publish(view(text));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (auto m = sub.latest()) return textOf(*m);
  }
  return std::nullopt;
}

TEST(NoticeChannel, ASubscriberReadsOnlyTheNewestNotice) {
  zmq::context_t ctx(1);
  NoticePublisher pub(ctx, "tcp://127.0.0.1:0", {});
  NoticeSubscriber sub(ctx, watching(pub.boundEndpoint()), {});
  EXPECT_EQ(publishUntilHeard(pub, sub, "epoch 1"), "epoch 1");
  EXPECT_FALSE(sub.latest().has_value());  // nothing new: no stale repeat
  // Three notices while the subscriber was busy: it sees the state as it is now.
  pub.publish(view("epoch 2"));
  pub.publish(view("epoch 3"));
  pub.publish(view("epoch 4"));
  std::optional<std::string> seen;
  for (int i = 0; i < 200 && seen != "epoch 4"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (auto m = sub.latest()) seen = textOf(*m);
  }
  EXPECT_EQ(seen, "epoch 4");
  EXPECT_FALSE(sub.latest().has_value());
}

TEST(NoticeChannel, APublisherWithoutSubscribersNeverBlocks) {
  zmq::context_t ctx(1);
  NoticePublisher pub(ctx, "tcp://127.0.0.1:0", {});
  for (int i = 0; i < 10000; ++i) pub.publish(view("epoch"));  // returns: nobody listens
  NoticeSubscriber sub(ctx, watching(pub.boundEndpoint()), {});
  EXPECT_EQ(publishUntilHeard(pub, sub, "after"), "after");
}

}  // namespace
}  // namespace callmesh::transport

namespace callmesh::transport {
namespace {

// The scheduling policy of this process's libzmq I/O threads ("ZMQbg/IO/<n>"), read from
// /proc: what the kernel applies, not what was asked for.
std::vector<int> zmqIoThreadPolicies() {
  std::vector<int> policies;
  DIR* dir = opendir("/proc/self/task");
  if (!dir) return policies;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::string task = std::string("/proc/self/task/") + entry->d_name;
    std::ifstream comm(task + "/comm");
    std::string name;
    std::getline(comm, name);
    if (name.rfind("ZMQbg/IO/", 0) != 0) continue;
    policies.push_back(sched_getscheduler(static_cast<pid_t>(std::stoi(entry->d_name))));
  }
  closedir(dir);
  return policies;
}

TEST(ServiceContext, OneIoThreadRunningSchedBatch) {
  auto before = zmqIoThreadPolicies().size();
  zmq::context_t context = serviceContext();
  EXPECT_EQ(context.get(zmq::ctxopt::io_threads), 1);
  zmq::socket_t socket(context, zmq::socket_type::dealer);  // starts the I/O thread
  // The thread names itself and applies its policy as it starts: wait for it, boundedly.
  auto policies = zmqIoThreadPolicies();
  for (int i = 0; i < 100 && std::count(policies.begin(), policies.end(), SCHED_BATCH) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    policies = zmqIoThreadPolicies();
  }
  ASSERT_EQ(policies.size(), before + 1);
  EXPECT_EQ(std::count(policies.begin(), policies.end(), SCHED_BATCH), 1);
}

}  // namespace
}  // namespace callmesh::transport
