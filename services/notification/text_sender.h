#pragma once

#include <string>
#include <string_view>

#include "shared/base/result.h"
#include "shared/config/cluster_config.h"

namespace callmesh::notification {

// seed 004_ee4e98a6a7f6781b.txt "Outbound Manual Texts": with both a personal and a company
// number the agent chooses; `from` is "personal" or "company". Errors name what is missing.
Result<std::string> manualTextSender(const config::AgentNumbers& agent, std::string_view from);

// seed 004 "Outbound Auto Texts": the chosen "Sender ID to Display", else the personal number,
// else the company number.
Result<std::string> autoTextSender(const config::AgentNumbers& agent);

// Where texts leave the cluster. The gateway address is configuration, never request input.
class TextGateway {
 public:
  virtual ~TextGateway() = default;
  // Sends `body` from `from` to `to` (both E.164); returns the final SIP status (200..699), or
  // Timeout when none came in time.
  virtual Result<int> send(const std::string& from, const std::string& to,
                           const std::string& body) = 0;
};

// A stateless UDP SIP MESSAGE client (RFC 3261 non-INVITE client transaction, RFC 3428):
// one socket per message, Via with a fresh z9hG4bK branch, retransmitted on timer E
// (T1 = 500 ms doubling to T2 = 4 s; at T2 after a provisional) until a final response whose Via
// branch matches, bounded by `max_wait_ms` (< timer F = 32 s).
class SipMessageSender final : public TextGateway {
 public:
  SipMessageSender(std::string gateway_host, int gateway_port, int max_wait_ms)
      : host_(std::move(gateway_host)), port_(gateway_port), max_wait_ms_(max_wait_ms) {}

  Result<int> send(const std::string& from, const std::string& to,
                   const std::string& body) override;

 private:
  std::string host_;
  int port_;
  int max_wait_ms_;
};

// The MESSAGE request text (exposed for unit tests).
std::string buildSipMessage(const std::string& from, const std::string& to, const std::string& body,
                            const std::string& gateway_hostport, const std::string& local_hostport,
                            const std::string& branch, const std::string& tag,
                            const std::string& call_id);
// Final status of a response to our branch; 0 when `datagram` is not one (or provisional: 1xx).
int responseStatusFor(std::string_view datagram, std::string_view branch);

}  // namespace callmesh::notification
