#include "shared/config/media_settings.h"

#include <arpa/inet.h>

namespace callmesh::config {

void readMediaSettings(YamlMap& m, const std::string& file_name, MediaSettings& media) {
  media.rtpengine = m.string("rtpengine", "");
  if (!media.rtpengine.empty()) {
    // An IP literal: the ingress never resolves names on its SIP thread.
    std::string host;
    int port = 0;
    unsigned char raw[16];
    bool ok = splitHostPort(media.rtpengine, host, port);
    if (ok && host.size() > 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    if (!ok || (inet_pton(AF_INET, host.c_str(), raw) != 1 &&
                inet_pton(AF_INET6, host.c_str(), raw) != 1)) {
      m.error("rtpengine", "must be rtpengine's ng address as IP:port, like 127.0.0.1:2223");
    }
  }
  media.ng_timeout_ms = static_cast<int>(m.integer("ng_timeout_ms", media.ng_timeout_ms, 10, 5000));
  media.ng_attempts = static_cast<int>(m.integer("ng_attempts", media.ng_attempts, 1, 10));
  media.ng_retry_after_ms =
      static_cast<int>(m.integer("ng_retry_after_ms", media.ng_retry_after_ms, 0, 600000));
  std::string mode = m.string("fail_mode", "open");
  if (mode != "open" && mode != "closed") m.error("fail_mode", "must be open or closed");
  media.fail_closed = mode == "closed";
  media.record = m.boolean("record", media.record);
  std::string dir = m.string("whisper_dir", "");
  media.whisper_dir = dir.empty() ? "" : resolveRelative(file_name, dir);
  media.dtmf_duration_ms =
      static_cast<int>(m.integer("dtmf_duration_ms", media.dtmf_duration_ms, 40, 1000));
  media.dtmf_gap_ms = static_cast<int>(m.integer("dtmf_gap_ms", media.dtmf_gap_ms, 40, 2000));
}

}  // namespace callmesh::config
