#include "services/ingress/sofia_log.h"

#include <string>

#include <gtest/gtest.h>

#include "services/ingress/sofia.h"

extern "C" {
extern su_log_t nta_log[];
}

namespace callmesh::ingress {
namespace {

// Sofia's own messages (here one written in two pieces, as SU_DEBUG does with its prefix) come out
// as one JSON line of our logger, never as raw text among the JSON lines.
TEST(SofiaLog, OneJsonLinePerSofiaMessage) {
  Logger log("ingress", LogLevel::Debug);
  routeSofiaLogs(log);
  ::testing::internal::CaptureStderr();
  su_llog(nta_log, 0, "nta_outgoing_tcancel: ");
  su_llog(nta_log, 0, "trying to cancel %s request\n", "non-INVITE");
  log.flush();
  std::string out = ::testing::internal::GetCapturedStderr();
  stopRoutingSofiaLogs();
  EXPECT_NE(out.find("\"event\":\"sofia_log\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"message\":\"nta_outgoing_tcancel: trying to cancel non-INVITE request\""),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one line: " << out;
}

}  // namespace
}  // namespace callmesh::ingress
