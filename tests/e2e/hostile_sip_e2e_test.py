"""Hostile SIP at the ingress (issue 16, items 3, 4 and 6), end to end through the cluster. The
caller, a third party and the phone are tiny Python UDP endpoints that record every message they
get, so each test asserts exactly what reached whom: the codes, the headers the phone received,
and the ingress's counters. Only loopback addresses; 127.0.0.0/8 is trusted by default."""

import hashlib
import os
import re
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, free_port, wait_until  # noqa: E402

BLOCKED = "callmesh_ingress_blocked_requests_total"


def header(message, name):
    """Values of every `name` header line of `message` (case-insensitive)."""
    return re.findall(r"(?im)^" + re.escape(name) + r"[ \t]*:[ \t]*(.*?)\r?$", message.split("\r\n\r\n")[0])


def status(message):
    m = re.match(r"SIP/2\.0 (\d{3}) ([^\r]*)", message)
    return (int(m.group(1)), m.group(2)) if m else None


class Endpoint:
    """A UDP SIP endpoint on `ip`: records what it receives; a phone also answers."""

    def __init__(self, ip="127.0.0.1", port=0, phone=False, extra_answer=""):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, port))
        self.sock.settimeout(0.1)
        self.ip, self.port = self.sock.getsockname()
        self.phone, self.extra_answer = phone, extra_answer
        self.got = []  # (text, (ip, port)) in arrival order
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()

    def _run(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(65535)
            except (socket.timeout, OSError):
                continue
            text = data.decode("latin-1")
            with self.lock:
                self.got.append((text, peer))
            if self.phone and not text.startswith("SIP/2.0"):
                self._answer(text, peer)

    def _answer(self, request, peer):
        method = request.split(" ", 1)[0]
        if method == "ACK":
            return
        if method == "INVITE":
            self.send(self.response(request, 180, "Ringing"), peer)
            extra = f"Contact: <sip:phone@{self.ip}:{self.port}>\r\n" + self.extra_answer
            self.send(self.response(request, 200, "OK", extra), peer)
        else:
            self.send(self.response(request, 200, "OK"), peer)

    @staticmethod
    def response(request, code, phrase, extra=""):
        head = request.split("\r\n\r\n")[0].split("\r\n")
        keep = [line for line in head[1:] if re.match(r"(?i)(via|from|call-id|cseq|record-route)\s*:", line)]
        to = header(request, "To")[0]
        if ";tag=" not in to:
            to += ";tag=phone-tag"
        return f"SIP/2.0 {code} {phrase}\r\n" + "\r\n".join(keep) + f"\r\nTo: {to}\r\n{extra}Content-Length: 0\r\n\r\n"

    def send(self, text, to):
        self.sock.sendto(text.encode("latin-1"), to)

    def requests(self, method):
        with self.lock:
            return [t for t, _ in self.got if t.startswith(method + " ")]

    def responses(self, cseq_method=None, call_id=None):
        with self.lock:
            out = [t for t, _ in self.got if t.startswith("SIP/2.0")]
        if cseq_method:
            out = [t for t in out if header(t, "CSeq")[0].split()[-1] == cseq_method]
        if call_id:
            out = [t for t in out if header(t, "Call-ID")[0] == call_id]
        return out

    def final(self, cseq_method, call_id, timeout=5):
        def finals():
            return [t for t in self.responses(cseq_method, call_id) if status(t)[0] >= 200]
        wait_until(lambda: finals(), timeout, what=f"a final response to {cseq_method} {call_id}")
        return finals()[0]


class Hostile(unittest.TestCase):
    def start(self, ingress_extra="", extra_answer="", routing=None, files=None):
        self.phone = Endpoint(port=free_port(), phone=True, extra_answer=extra_answer)
        self.addCleanup(self.phone.close)
        routing = routing.format(phone=self.phone.port) if routing else f"""tracking_numbers:
  - number: "+15550100"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{self.phone.port}"
"""
        self.cluster = Cluster(routing, ingress_extra=ingress_extra)
        self.addCleanup(self.cluster.cleanup)
        for name, text in (files or {}).items():  # next to cluster.yaml, before anything reads it
            with open(os.path.join(self.cluster.dir, name), "w") as f:
                f.write(text)
        self.cluster.start()
        self.target = ("127.0.0.1", self.cluster.ports["sip"])

    def endpoint(self, ip="127.0.0.1"):
        e = Endpoint(ip=ip)
        self.addCleanup(e.close)
        return e

    def request(self, sender, method, call_id, cseq=1, extra="", to_tag="", from_tag="caller-tag",
                via_branch=None, version="SIP/2.0", dialled="+15550100", caller="caller"):
        branch = via_branch or f"z9hG4bK-{method}-{call_id}-{cseq}-{time.monotonic_ns()}"
        to = f"<sip:{dialled}@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
        text = (f"{method} sip:{dialled}@{self.target[0]}:{self.target[1]} {version}\r\n"
                f"Via: SIP/2.0/UDP {sender.ip}:{sender.port};branch={branch};rport\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:{caller}@127.0.0.1>;tag={from_tag}\r\nTo: {to}\r\n"
                f"Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n"
                f"Contact: <sip:caller@{sender.ip}:{sender.port}>\r\n{extra}Content-Length: 0\r\n\r\n")
        sender.send(text, self.target)
        return text

    def call(self, caller, call_id, extra=""):
        """A connected call: INVITE, the phone's 200, the caller's ACK. Returns the 200."""
        self.request(caller, "INVITE", call_id, extra=extra)
        answer = caller.final("INVITE", call_id)
        self.assertEqual(status(answer)[0], 200, answer)
        self.request(caller, "ACK", call_id, to_tag="phone-tag")
        wait_until(lambda: self.phone.requests("ACK"), 5, what="the phone got the ACK")
        return answer

    def blocked(self, reason):
        return self.cluster.metric("ingress", BLOCKED, f'reason="{reason}"')

    # -- item 3: control headers are ours ----------------------------------------------------
    def test_caller_control_headers_and_identity_never_reach_the_phone_nor_come_back(self):
        self.start(extra_answer="X-Callmesh-Record: on\r\nP-Asserted-Identity: <sip:+18005550000@127.0.0.1>\r\n")
        caller = self.endpoint()
        answer = self.call(caller, "hdr-1", extra=(
            "X-Callmesh-Record: off\r\nX-Callmesh-Whisper: x\r\nX-Callmesh-Path: +15550999\r\n"
            "P-Asserted-Identity: <sip:+19995550000@127.0.0.1>\r\n"
            "P-Preferred-Identity: <sip:+19995550001@127.0.0.1>\r\nX-Caller-Zip: 10001\r\n"))
        invite = self.phone.requests("INVITE")[0]
        self.assertEqual(header(invite, "X-Callmesh-Record"), [])
        self.assertEqual(header(invite, "X-Callmesh-Whisper"), [])
        self.assertEqual(header(invite, "P-Asserted-Identity"), [])
        self.assertEqual(header(invite, "P-Preferred-Identity"), [])
        # The incoming path was read (loop detection, seed 003) and only ours went on.
        self.assertEqual(header(invite, "X-Callmesh-Path"), ["+15550999,+15550100"])
        self.assertEqual(header(invite, "X-Caller-Zip"), ["10001"])  # not ours: passes
        # What the phone answered comes back without its control and identity headers.
        self.assertEqual(header(answer, "X-Callmesh-Record"), [])
        self.assertEqual(header(answer, "P-Asserted-Identity"), [])

    def test_identity_is_kept_only_from_the_trust_domain(self):
        self.start(ingress_extra='  identity_trusted_sources: ["127.0.0.1/32"]\n')
        pai = "P-Asserted-Identity: <sip:+12125550000@carrier>\r\n"
        self.call(self.endpoint("127.0.0.1"), "pai-trusted", extra=pai)
        self.call(self.endpoint("127.0.0.2"), "pai-other", extra=pai)
        invites = {header(i, "Call-ID")[0]: i for i in self.phone.requests("INVITE")}
        self.assertEqual(header(invites["pai-trusted"], "P-Asserted-Identity"),
                         ["<sip:+12125550000@carrier>"])
        self.assertEqual(header(invites["pai-other"], "P-Asserted-Identity"), [])

    def test_identity_is_replaced_when_a_rule_sets_the_caller_id(self):
        # seed 002_39a4312a6c94260d.txt: an agent's outbound call presents the project's number,
        # whatever identity the (here identity-trusted) source asserted.
        routing = """pstn_gateway: "127.0.0.1:{phone}"
projects:
  - {{id: collections, numbers: ["+1 212 736 5099"], first_call: fixed, fixed_number: "+1 212 736 5099"}}
agents:
  - {{id: alice, number: "+12125550101", outbound_project: collections}}
"""
        # alice's device authenticates (issue 16 item 5: no agent calls out without it).
        password = "alice-device-secret"
        ha1 = hashlib.md5(f"alice:callmesh:{password}".encode()).hexdigest()
        self.start(ingress_extra='  identity_trusted_sources: ["127.0.0.1/32"]\n'
                                 "  agent_auth: required\n  agent_credentials_file: agents.txt\n"
                                 "  agent_auth_algorithms: [MD5]\n",
                   routing=routing, files={"agents.txt": f"alice:callmesh:{ha1}\n"})
        caller = self.endpoint()
        identity = ("P-Asserted-Identity: <sip:+19995550000@127.0.0.1>\r\n"
                    "P-Preferred-Identity: <sip:+19995550001@127.0.0.1>\r\n")
        self.request(caller, "INVITE", "pai-rule", dialled="+14155550180", caller="+12125550101",
                     extra=identity)
        challenge = caller.final("INVITE", "pai-rule")
        self.assertEqual(status(challenge)[0], 407)
        params = dict(re.findall(r'(\w+)="?([^",]+)"?', header(challenge, "Proxy-Authenticate")[0]))
        uri = f"sip:+14155550180@{self.target[0]}:{self.target[1]}"
        ha2 = hashlib.md5(f"INVITE:{uri}".encode()).hexdigest()
        response = hashlib.md5(f"{ha1}:{params['nonce']}:00000001:c0ffee:auth:{ha2}".encode()).hexdigest()
        authorization = (f'Proxy-Authorization: Digest username="alice", realm="{params["realm"]}", '
                         f'nonce="{params["nonce"]}", uri="{uri}", algorithm=MD5, qop=auth, '
                         f'nc=00000001, cnonce="c0ffee", response="{response}"\r\n')
        self.request(caller, "INVITE", "pai-rule", cseq=2, dialled="+14155550180", caller="+12125550101",
                     extra=identity + authorization)
        wait_until(lambda: any(status(r)[0] == 200 for r in caller.responses("INVITE", "pai-rule")), 5,
                   what="the authenticated INVITE answered")
        invite = self.phone.requests("INVITE")[0]
        self.assertEqual(header(invite, "P-Asserted-Identity"), ["<sip:+12127365099@127.0.0.1>"])
        self.assertEqual(header(invite, "P-Preferred-Identity"), [])

    def test_preloaded_route_to_another_host_is_refused(self):
        self.start()
        caller = self.endpoint()
        self.request(caller, "INVITE", "route-1",
                     extra=f"Route: <sip:127.0.0.1:{self.phone.port};lr>\r\n")
        self.assertEqual(status(caller.final("INVITE", "route-1")), (403, "Preloaded Route Denied"))
        self.assertEqual(self.blocked("preloaded_route"), 1)
        # A preloaded Route naming only us is popped, and the call goes on without it.
        self.call(caller, "route-2", extra=f"Route: <sip:127.0.0.1:{self.target[1]};lr>\r\n")
        self.assertEqual([header(i, "Call-ID")[0] for i in self.phone.requests("INVITE")], ["route-2"])
        self.assertEqual(header(self.phone.requests("INVITE")[0], "Route"), [])

    # -- item 4: dialogs ---------------------------------------------------------------------
    def test_bye_with_a_wrong_to_tag_ends_nothing(self):
        self.start()
        caller = self.endpoint()
        self.call(caller, "dlg-1")
        self.request(caller, "BYE", "dlg-1", cseq=2, to_tag="made-up")
        self.assertEqual(status(caller.final("BYE", "dlg-1"))[0], 481)
        self.assertEqual(self.blocked("not_in_dialog"), 1)
        self.assertEqual(self.phone.requests("BYE"), [])
        self.request(caller, "BYE", "dlg-1", cseq=3, to_tag="phone-tag")
        wait_until(lambda: [t for t in caller.responses("BYE", "dlg-1") if status(t)[0] == 200], 5,
                   what="the real BYE answered 200")
        self.assertEqual(len(self.phone.requests("BYE")), 1)

    def test_bye_from_a_third_address_ends_nothing(self):
        self.start()
        caller = self.endpoint()
        self.call(caller, "dlg-2")
        stranger = self.endpoint("127.0.0.77")
        self.request(stranger, "BYE", "dlg-2", cseq=2, to_tag="phone-tag")
        self.assertEqual(status(stranger.final("BYE", "dlg-2"))[0], 481)
        self.assertEqual(self.phone.requests("BYE"), [])
        self.assertEqual(self.blocked("not_in_dialog"), 1)
        self.request(caller, "BYE", "dlg-2", cseq=3, to_tag="phone-tag")
        wait_until(lambda: [t for t in caller.responses("BYE", "dlg-2") if status(t)[0] == 200], 5,
                   what="the caller's BYE answered 200")
        self.assertEqual(len(self.phone.requests("BYE")), 1)

    def test_stray_response_passes_the_source_guard(self):
        self.start(ingress_extra='  trusted_sources: ["127.0.0.1/32"]\n')
        stranger = self.endpoint("127.0.0.77")
        stranger.send("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-stray\r\n"
                      "From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: stray-1\r\n"
                      "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", self.target)
        wait_until(lambda: self.blocked("untrusted") == 1, 5, what="the stray response blocked")

    # -- item 6: RFC 3261 behaviour ----------------------------------------------------------
    def test_header_line_without_a_colon_gets_400(self):
        self.start()
        caller = self.endpoint()
        self.request(caller, "INVITE", "colon-1", extra="X-Broken header line\r\n")
        self.assertEqual(status(caller.final("INVITE", "colon-1")),
                         (400, "Bad Request (header line without a colon)"))
        self.assertEqual(self.phone.requests("INVITE"), [])

    def test_request_that_comes_back_with_our_own_via_is_a_loop(self):
        self.start()
        self.phone.phone = False  # this "phone" is a proxy that routes the INVITE back to us
        caller = self.endpoint()
        self.request(caller, "INVITE", "loop-1")
        wait_until(lambda: self.phone.requests("INVITE"), 5, what="the INVITE reached the next hop")
        sent = self.phone.requests("INVITE")[0]
        first, rest = sent.split("\r\n", 1)
        back = (first + f"\r\nVia: SIP/2.0/UDP 127.0.0.1:{self.phone.port};branch=z9hG4bK-back;rport\r\n"
                + rest)
        self.phone.send(back, self.target)
        self.assertEqual(status(self.phone.final("INVITE", "loop-1")), (482, "Loop Detected (our own Via)"))
        self.assertEqual(self.blocked("loop"), 1)

    def test_cancel_that_matches_no_transaction_gets_481(self):
        self.start()
        caller = self.endpoint()
        self.request(caller, "CANCEL", "cancel-1")
        self.assertEqual(status(caller.final("CANCEL", "cancel-1"))[0], 481)
        self.assertEqual(self.phone.requests("CANCEL"), [])

    def test_request_over_tcp_without_content_length_gets_400(self):
        self.start()
        with socket.create_connection(self.target, timeout=5) as s:
            port = s.getsockname()[1]
            s.sendall((f"OPTIONS sip:+15550100@127.0.0.1 SIP/2.0\r\n"
                       f"Via: SIP/2.0/TCP 127.0.0.1:{port};branch=z9hG4bK-tcp-cl\r\n"
                       "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:+15550100@127.0.0.1>\r\n"
                       "Call-ID: tcp-cl-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\r\n").encode())
            data = b""
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and b"\r\n\r\n" not in data:
                chunk = s.recv(65535)
                if not chunk:
                    break
                data += chunk
        self.assertEqual(status(data.decode("latin-1"))[0], 400, data)

    def test_responses_relayed_back_carry_the_senders_via_alone(self):
        # RFC 3261 16.7 item 9: the proxy removes its own Via, nothing else. The ingress relays the
        # answering side's own message, not a copy (issue 22 point 3), so its Via is popped once.
        self.start()
        caller = self.endpoint()
        self.request(caller, "INVITE", "via-1", via_branch="z9hG4bK-caller-invite")
        self.assertEqual(status(caller.final("INVITE", "via-1"))[0], 200)
        wait_until(lambda: any(status(r)[0] == 180 for r in caller.responses("INVITE", "via-1")), 5,
                   what="the 180 relayed")
        self.assertEqual(len(header(self.phone.requests("INVITE")[0], "Via")), 2)  # ours on top
        for response in caller.responses("INVITE", "via-1"):
            vias = header(response, "Via")
            self.assertEqual(len(vias), 1, response)
            self.assertIn("branch=z9hG4bK-caller-invite", vias[0])
        self.request(caller, "ACK", "via-1", to_tag="phone-tag")
        self.request(caller, "BYE", "via-1", cseq=2, to_tag="phone-tag", via_branch="z9hG4bK-caller-bye")
        bye_answer = caller.final("BYE", "via-1")
        self.assertEqual(status(bye_answer)[0], 200)
        self.assertEqual(len(header(bye_answer, "Via")), 1, bye_answer)
        self.assertIn("branch=z9hG4bK-caller-bye", header(bye_answer, "Via")[0])

    def test_other_sip_version_over_udp_gets_505_at_its_source(self):
        self.start()
        caller = self.endpoint()
        # The Via names another host and port, without rport: the 505 still comes to the source.
        caller.send("OPTIONS sip:+15550100@127.0.0.1 SIP/7.0\r\n"
                    "Via: SIP/2.0/UDP 192.0.2.1:9;branch=z9hG4bK-v7\r\n"
                    "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:+15550100@127.0.0.1>\r\n"
                    "Call-ID: version-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
                    self.target)
        self.assertEqual(status(caller.final("OPTIONS", "version-1"))[0], 505)


if __name__ == "__main__":
    unittest.main(verbosity=2)
