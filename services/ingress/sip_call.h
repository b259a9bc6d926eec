#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "services/ingress/call_control.h"
#include "services/ingress/dial_schedule.h"
#include "services/ingress/sofia_handles.h"

namespace callmesh::ingress {

class SipProxy;

// One outbound INVITE (or MESSAGE) of a call: a fork branch. Its index is the CallStateMachine's.
struct SipBranch {
  SipProxy* proxy = nullptr;  // back-pointers for the C callback
  Call* call = nullptr;
  size_t index = 0;
  OutgoingRequest orq;    // until its final response
  std::string transport;  // "udp", "tcp" or "tls"
  std::string uri;        // where the request went: the target, or the gateway carrying it
  // NTA's route URL when it is not `uri`: a TLS gateway by name (gatewayRouteUri).
  std::string route;
  // Through a gateway set (gateway_failover.cpp): the gateways to try in order (GatewaySets
  // indexes), the one carrying the INVITE now, and the deadline for its first response. Empty
  // for a plain target.
  std::vector<size_t> gateways;
  size_t gateway_at = 0;
  SuTimer answer_timer;
  bool cancelled = false;  // CANCEL asked for: no more failover
  // Over TLS, until the first response: looks every few ms whether sofia closed the connection
  // under the INVITE (a refused certificate, a failed handshake), which it does without failing
  // the transaction (tls_branch_watch.cpp).
  SuTimer tls_watch;
};

// A call's media on rtpengine (media_legs.cpp): whether it is anchored, the SDP rtpengine gave
// for the phones, and the features played after the answer (extension digits, whisper).
struct CallMedia {
  enum class State {
    Off,         // not asked yet (or no media plane configured)
    Anchored,    // rtpengine relays the call's RTP: delete it when the call ends
    Unanchored,  // rtpengine failed, fail_mode open: media goes end to end, no media features
    Refused,     // rtpengine failed, fail_mode closed: the caller is refused 503
  };
  State state = State::Off;
  std::string caller_sdp;  // the caller's offer as received (repeated with inject-DTMF)
  std::string offer_sdp;   // rtpengine's rewrite of the caller's offer, sent to every branch
  bool inject_dtmf = false;
  // A late offer (INVITE without SDP, RFC 3261 13.2.1): the 2xx carries the offer (rtpengine
  // `offer` from the answering side) and the caller's ACK the answer (`answer`, ACK rewritten).
  bool late_offer = false;
  bool ack_answer_pending = false;  // the 2xx's offer went through rtpengine; the ACK answers it
  bool features_deferred = false;   // digits/whisper wait for that answer
  std::string ack_sdp;              // rtpengine's rewrite of the ACK's answer (for a resent ACK)
  size_t features_branch = 0;
  std::string answered_tag;  // the To-tag of the answer rtpengine was given
  std::string recording;     // rtpengine's recording file, when recording
  bool recording_on = false;
  // No recording may be started for this call (prevent_recording on the answering number, or
  // media.record off): the API's start is refused (recording_control.h).
  bool recording_prevented = false;
  // Extension digits (seed 000): one timer per digit; the caller's audio is silenced toward the
  // answering side until the last digit has played.
  std::vector<ScheduledDigit> digits;
  size_t next_digit = 0;
  int64_t digits_base_ms = 0;  // steady ms the schedule counts from
  int first_digit_retries = 0;
  std::string whisper_file;  // played once the digits are done (or at once)
  SuTimer feature_timer;
};

// What a call keeps of SIP: the caller's server transaction, the branches, the timers, and the
// dialog state the proxy needs to end the call itself (time limit, drain): header values as
// received, the Contact URIs, and the highest CSeq seen from each side.
struct SipCall final : Call {
  using Call::Call;
  SipProxy* proxy = nullptr;  // back-pointer for the C callbacks (ACK/CANCEL, timers)
  IncomingRequest irq;        // the caller's INVITE (MESSAGE) until its final response
  std::string caller_tag;
  std::string caller_target;  // sip:ip:port;transport=x of the caller's hop (source)
  std::string caller_transport;
  std::string caller_from;
  std::string caller_contact;
  bool caller_identity_trusted = false;  // the caller's hop is in the RFC 3325 trust domain
  std::string callee_to;
  std::string callee_tag;  // the answer's To-tag: with caller_tag, the dialog's identity
  std::string callee_ip;   // the answer's source address: the callee's hop
  std::string callee_contact;
  // The answered branch's next hop: its target URI, or for a target through a gateway set the
  // gateway that answered. In-dialog requests toward the callee go here.
  std::string callee_hop;
  // Where requests toward the callee are sent (NTA's route URL): callee_hop, or for a TLS gateway
  // by name its route naming the host the certificate was checked for.
  std::string callee_route;
  uint32_t caller_cseq = 0;
  uint32_t callee_cseq = 0;
  std::vector<std::unique_ptr<SipBranch>> branches;  // stable addresses: NTA holds them
  SuTimer step_timer;
  SuTimer duration_timer;

  // The call's media on rtpengine: read through media() (an Off record when there is none) and
  // made by mediaState() once the media plane handles the call. A call without a media plane, or
  // a text, carries none: 280 bytes of 1,104 less per live call, the record landing in
  // jemalloc's 896-byte class instead of 1,280 (README "Memory").
  const CallMedia& media() const { return media_ ? *media_ : noMedia(); }
  bool hasMedia() const { return media_ != nullptr; }
  CallMedia& mediaState() {
    if (!media_) media_ = std::make_unique<CallMedia>();
    return *media_;
  }

 private:
  static const CallMedia& noMedia() {
    static const CallMedia none;
    return none;
  }
  std::unique_ptr<CallMedia> media_;
};

// Every Call the dispatcher hands to CallControl is a SipCall.
inline SipCall& sipOf(Call& call) { return static_cast<SipCall&>(call); }
inline const SipCall& sipOf(const Call& call) { return static_cast<const SipCall&>(call); }

}  // namespace callmesh::ingress
