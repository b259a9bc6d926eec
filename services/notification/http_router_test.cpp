// issue 17: the transport hands handlers the same httplib::Request they were written against,
// routes by method and regex, answers HEAD with GET's handler and unknown routes with the API's
// JSON 404; a stream route's grant is dropped for HEAD. And the SSE chunk framing.
#include "services/notification/http_router.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "services/notification/sse_stream.h"

namespace callmesh::notification {
namespace {

httplib::Request request(const std::string& method, const std::string& target) {
  httplib::Request req;
  fillHandlerRequest(req, method, target, "", "127.0.0.1", 40000);
  return req;
}

TEST(FillHandlerRequest, DecodesThePathAndSplitsTheQuery) {
  auto req = request("GET", "/v1/numbers/%2B15550200?limit=5&q=a%20b");
  EXPECT_EQ(req.path, "/v1/numbers/+15550200");
  EXPECT_EQ(req.get_param_value("limit"), "5");
  EXPECT_EQ(req.get_param_value("q"), "a b");
  EXPECT_EQ(req.remote_addr, "127.0.0.1");
  req.headers.emplace("authorization", "Bearer x");
  EXPECT_EQ(req.get_header_value("Authorization"), "Bearer x");  // names case-insensitive
}

TEST(RouteTable, FirstMatchOfTheMethodWinsWithItsGroups) {
  RouteTable t;
  t.Get(R"(/v1/notifications/([^/]+))", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 200;
    res.set_content("one " + req.matches[1].str(), "text/plain");
  });
  t.Get(R"(/v1/notifications/(.+))", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("two", "text/plain");
  });
  t.Post(R"(/v1/notifications/([^/]+))",
         [](const httplib::Request&, httplib::Response& res) { res.status = 201; });
  auto get = request("GET", "/v1/notifications/c1");
  auto out = t.dispatch(get);
  EXPECT_EQ(out.res.status, 200);
  EXPECT_EQ(out.res.body, "one c1");
  auto post = request("POST", "/v1/notifications/c1");
  EXPECT_EQ(t.dispatch(post).res.status, 201);
  auto head = request("HEAD", "/v1/notifications/c2");
  auto h = t.dispatch(head);
  EXPECT_EQ(h.res.body, "one c2");  // the transport sends the headers only
  auto unset = request("GET", "/v1/notifications/a/b");
  EXPECT_EQ(t.dispatch(unset).res.status, 200);  // a handler that set no status answered 200
}

TEST(RouteTable, NoRouteIsTheJson404NamingMethodAndPath) {
  RouteTable t;
  t.Get("/v1/me", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
  for (const char* method : {"OPTIONS", "DELETE", "PATCH"}) {
    auto req = request(method, "/v1/me");
    auto out = t.dispatch(req);
    EXPECT_EQ(out.res.status, 404);
    auto body = nlohmann::json::parse(out.res.body);
    EXPECT_EQ(body["error"], "not_found");
    EXPECT_EQ(body["message"], std::string("no route ") + method + " /v1/me");
  }
}

TEST(RouteTable, StreamGrantedForGetAndNotForHead) {
  RouteTable t;
  int released = 0;
  t.Stream("/v1/stream", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    return std::optional<StreamGrant>(
        StreamGrant{[](const StreamEvent& e) { return e.everyone; },
                    std::shared_ptr<void>(nullptr, [&](void*) { ++released; }), "alice"});
  });
  auto get = request("GET", "/v1/stream");
  auto out = t.dispatch(get);
  ASSERT_TRUE(out.stream.has_value());
  EXPECT_TRUE(out.stream->shows(StreamEvent{1, "presence.changed", "{}", {}, true, false, ""}));
  EXPECT_FALSE(
      out.stream->shows(StreamEvent{2, "notification.created", "{}", {"bob"}, false, false, ""}));
  auto head = request("HEAD", "/v1/stream");
  EXPECT_FALSE(t.dispatch(head).stream.has_value());
  EXPECT_EQ(released, 1);  // HEAD's slot went back at once
}

TEST(SseChunk, OneEventIsOneHttpChunk) {
  EXPECT_EQ(httpChunk("abc"), "3\r\nabc\r\n");
  std::string text = "id: 7\nevent: notification.withdrawn\ndata: {\"id\":\"c1\"}\n\n";
  EXPECT_EQ(
      sseChunk(StreamEvent{7, "notification.withdrawn", R"({"id":"c1"})", {"a"}, false, false, ""}),
      httpChunk(text));
  EXPECT_EQ(httpChunk(std::string(255, 'x')).substr(0, 4), "ff\r\n");
}

}  // namespace
}  // namespace callmesh::notification
