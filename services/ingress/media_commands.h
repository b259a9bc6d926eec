#pragma once

#include <string>

#include "shared/base/result.h"
#include "shared/media/bencode.h"

namespace callmesh::ingress {

// The ng commands the ingress sends rtpengine, as dictionaries (pure, unit-tested). Tags are SIP
// From/To tags: rtpengine names a call's parties by them. Directions, as rtpengine 10.5 applies
// them (checked against the daemon, tests/e2e/media_e2e_test.py):
//  - `play media` from-tag X: X hears the file;
//  - `block media` / `silence media` from-tag X: what X sends stops reaching the other side
//    (blocked: dropped; silenced: replaced by silence, so the stream keeps running);
//  - `play DTMF` from-tag X: the event is put into what X sends, so the other side gets it.

// The caller's offer, rewritten so the phone sends its RTP to rtpengine: c=/o= replaced by
// rtpengine's address (the caller's may be behind a gateway's NAT). inject_dtmf passes the audio
// through rtpengine's codec handler, which `play DTMF` needs (only set when a target has digits).
media::BDict offerCommand(const std::string& call_id, const std::string& from_tag,
                          const std::string& sdp, bool inject_dtmf);
// The answering side's SDP (183 or 200) for the caller; `record`: start recording now (answer
// replies carry the recording's path).
media::BDict answerCommand(const std::string& call_id, const std::string& from_tag,
                           const std::string& to_tag, const std::string& sdp, bool inject_dtmf,
                           bool record);
// A re-INVITE's offer/answer inside the dialog: from_tag is whoever sent the re-INVITE.
media::BDict reofferCommand(const std::string& call_id, const std::string& from_tag,
                            const std::string& to_tag, const std::string& sdp);
// Ends the call on rtpengine at once (its default keeps it 30 s, which would hold the ports and
// keep `list` showing a finished call).
media::BDict deleteCommand(const std::string& call_id);
media::BDict playDtmfCommand(const std::string& call_id, const std::string& from_tag, char digit,
                             int duration_ms);
media::BDict playMediaCommand(const std::string& call_id, const std::string& to_party_tag,
                              const std::string& file);
// block/unblock media, silence/unsilence media, start/stop recording: call-id (+ from-tag).
media::BDict partyCommand(const std::string& call_id, const std::string& from_tag);
media::BDict callCommand(const std::string& call_id);

// The SDP in an ng reply ("" when none).
std::string sdpOf(const media::BValue& reply);
// The first recording path in an offer/answer reply ("" when none).
std::string recordingOf(const media::BValue& reply);

// The file a routing table's whisper name stands for: `dir`/`name`, `.wav` added when the name
// has no extension. Names are plain file names (letters, digits, . _ -; no leading dot, at most
// 128 characters): a routing table never points rtpengine at an arbitrary path.
Result<std::string> whisperFile(const std::string& dir, const std::string& name);

}  // namespace callmesh::ingress
