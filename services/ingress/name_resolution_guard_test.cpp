#include "services/ingress/name_resolution_guard.h"

#include <netdb.h>

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

TEST(NameResolutionGuard, HostOfEveryFormWeConfigure) {
  EXPECT_EQ(hostOf("sip:+15550199@pbx.example.internal:5080;transport=tcp"),
            "pbx.example.internal");
  EXPECT_EQ(hostOf("sip:gw.example.internal"), "gw.example.internal");
  EXPECT_EQ(hostOf("tcp://callmesh-router:7001"), "callmesh-router");
  EXPECT_EQ(hostOf("sip:+1@[2001:db8::1]:5060"), "2001:db8::1");
  EXPECT_EQ(hostOf("127.0.0.1:9460"), "127.0.0.1");
}

// The test binary links this object, so getaddrinfo here is the guarded one.
TEST(NameResolutionGuard, NamesFromMessagesAreNeverResolved) {
  addrinfo* out = nullptr;
  uint64_t before = refusedNameLookups();
  EXPECT_EQ(getaddrinfo("c.example.com", "5060", nullptr, &out), EAI_NONAME);
  EXPECT_EQ(refusedNameLookups(), before + 1);
  ASSERT_EQ(getaddrinfo("127.0.0.1", "5060", nullptr, &out), 0);  // numeric: no DNS involved
  freeaddrinfo(out);
  allowNameResolution({"localhost"});
  ASSERT_EQ(getaddrinfo("localhost", "5060", nullptr, &out), 0);  // configured names resolve
  freeaddrinfo(out);
}

}  // namespace
}  // namespace callmesh::ingress
