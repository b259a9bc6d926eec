#include "services/ingress/media_commands.h"

namespace callmesh::ingress {

using media::BDict;
using media::BList;
using media::BValue;

namespace {
BDict base(const std::string& call_id) {
  BDict d;
  d["call-id"] = call_id;
  return d;
}
}  // namespace

BDict offerCommand(const std::string& call_id, const std::string& from_tag, const std::string& sdp,
                   bool inject_dtmf) {
  BDict d = base(call_id);
  d["from-tag"] = from_tag;
  d["sdp"] = sdp;
  d["replace"] = BList{"origin", "session-connection"};
  if (inject_dtmf) d["flags"] = BList{"inject-DTMF"};
  return d;
}

BDict answerCommand(const std::string& call_id, const std::string& from_tag,
                    const std::string& to_tag, const std::string& sdp, bool inject_dtmf,
                    bool record) {
  BDict d = base(call_id);
  d["from-tag"] = from_tag;
  d["to-tag"] = to_tag;
  d["sdp"] = sdp;
  d["replace"] = BList{"origin", "session-connection"};
  if (inject_dtmf) d["flags"] = BList{"inject-DTMF"};
  if (record) d["record call"] = "yes";
  return d;
}

BDict reofferCommand(const std::string& call_id, const std::string& from_tag,
                     const std::string& to_tag, const std::string& sdp) {
  BDict d = base(call_id);
  d["from-tag"] = from_tag;
  if (!to_tag.empty()) d["to-tag"] = to_tag;
  d["sdp"] = sdp;
  d["replace"] = BList{"origin", "session-connection"};
  return d;
}

BDict deleteCommand(const std::string& call_id) {
  BDict d = base(call_id);
  d["delete-delay"] = 0;
  return d;
}

BDict playDtmfCommand(const std::string& call_id, const std::string& from_tag, char digit,
                      int duration_ms) {
  BDict d = base(call_id);
  d["from-tag"] = from_tag;
  d["code"] = std::string(1, digit);
  d["duration"] = duration_ms;
  return d;
}

BDict playMediaCommand(const std::string& call_id, const std::string& to_party_tag,
                       const std::string& file) {
  BDict d = base(call_id);
  d["from-tag"] = to_party_tag;
  d["file"] = file;
  return d;
}

BDict partyCommand(const std::string& call_id, const std::string& from_tag) {
  BDict d = base(call_id);
  d["from-tag"] = from_tag;
  return d;
}

BDict callCommand(const std::string& call_id) { return base(call_id); }

std::string sdpOf(const BValue& reply) { return reply.stringAt("sdp"); }

std::string recordingOf(const BValue& reply) {
  const BValue* list = reply.find("recordings");
  if (!list || !list->isList() || list->asList().empty() || !list->asList()[0].isString())
    return "";
  return list->asList()[0].asString();
}

Result<std::string> whisperFile(const std::string& dir, const std::string& name) {
  if (dir.empty())
    return invalidInput("media.whisper_dir is not set", "whisper '" + name.substr(0, 64) + "'");
  bool ok = !name.empty() && name.size() <= 128 && name[0] != '.';
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-');
  }
  if (!ok)
    return invalidInput("not a plain file name (letters, digits, . _ -)",
                        "whisper '" + name.substr(0, 64) + "'");
  std::string file = dir + "/" + name;
  if (name.find('.') == std::string::npos) file += ".wav";
  return file;
}

}  // namespace callmesh::ingress
