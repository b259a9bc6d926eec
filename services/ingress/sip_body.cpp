#include "services/ingress/sip_body.h"

#include <strings.h>

namespace callmesh::ingress {

std::string sdpBody(const sip_t* sip) {
  if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data || sip->sip_payload->pl_len == 0)
    return "";
  const sip_content_type_t* ct = sip->sip_content_type;
  if (ct && ct->c_type && strcasecmp(ct->c_type, "application/sdp") != 0) return "";
  return std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

bool replaceSdpBody(msg_t* msg, const std::string& sdp) {
  sip_t* sip = sip_object(msg);
  if (!sip) return false;
  su_home_t* home = msg_home(msg);
  sip_payload_t* pl = sip_payload_create(home, sdp.data(), static_cast<isize_t>(sdp.size()));
  sip_content_length_t* cl = sip_content_length_create(home, static_cast<uint32_t>(sdp.size()));
  sip_content_type_t* ct = sip_content_type_make(home, "application/sdp");
  if (!pl || !cl || !ct) return false;
  auto put = [&](msg_header_t* old, msg_header_t* fresh) {
    return old ? msg_header_replace(msg, nullptr, old, fresh)
               : msg_header_insert(msg, nullptr, fresh);
  };
  return put(reinterpret_cast<msg_header_t*>(sip->sip_payload),
             reinterpret_cast<msg_header_t*>(pl)) >= 0 &&
         put(reinterpret_cast<msg_header_t*>(sip->sip_content_length),
             reinterpret_cast<msg_header_t*>(cl)) >= 0 &&
         put(reinterpret_cast<msg_header_t*>(sip->sip_content_type),
             reinterpret_cast<msg_header_t*>(ct)) >= 0;
}

}  // namespace callmesh::ingress
