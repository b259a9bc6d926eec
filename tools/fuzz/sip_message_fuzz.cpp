// libFuzzer target: arbitrary bytes through sofia-sip's parser with the ingress's message class
// (services/ingress/sip_message_class.h), as received over UDP or TCP (the input's length picks),
// and then through everything the ingress reads out of a parsed message (sip_inspection.h).
#include <cstddef>
#include <cstdint>

#include "services/ingress/sip_inspection.h"
#include "services/ingress/sip_message_class.h"

using namespace callmesh::ingress;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static msg_mclass_t const* mclass = ingressMessageClass();
  // The input's length picks the transport, so seeds (real messages) stay byte-exact.
  const char* transport = (size & 1) ? "tcp" : "udp";
  msg_t* msg = parseAsReceived(mclass, reinterpret_cast<const char*>(data), size, transport,
                               "127.0.0.1", 5060);
  if (!msg) return 0;
  sip_t* sip = sip_object(msg);
  if (sip) {
    if (sip->sip_request) {
      std::string ruri = urlText(sip->sip_request->rq_url);
      (void)userPart(sip->sip_request->rq_url);
      (void)transportOfUri(ruri);
      (void)hostOfTarget(ruri);
    }
    if (sip->sip_from) {
      (void)userPart(sip->sip_from->a_url);
      (void)headerValue(reinterpret_cast<const sip_header_t*>(sip->sip_from));
    }
    if (sip->sip_to) (void)headerValue(reinterpret_cast<const sip_header_t*>(sip->sip_to));
    if (sip->sip_contact) (void)urlText(sip->sip_contact->m_url);
    if (sip->sip_proxy_require)
      (void)headerValue(reinterpret_cast<const sip_header_t*>(sip->sip_proxy_require));
    (void)numbersOnPath(sip);
    (void)acceptsSdp(sip);
    (void)headerSafe(std::string(reinterpret_cast<const char*>(data), size));
  }
  msg_destroy(msg);
  return 0;
}
