"""Inbound trunks end to end (issue 21 item 4): `ingress.trunks` with the whole cluster on loopback.
A trunk is known by its verified TLS client certificate first, else by its source address, and
has its own rate buckets and its own P-Asserted-Identity trust. Each trunk sends from its own
loopback address (127.0.0.2, 127.0.0.3, ...: every 127.0.0.0/8 address is local): SIPp callers
bound there with -i/-bind_local, and the TLS callers of sip_tls.py (Debian's SIPp has no TLS)
connecting from there. The phone is a SIPp UAS that logs the P-Asserted-Identity of every
INVITE it receives (sipp/uas_identity_capture.xml), so what reached it is asserted exactly.
Certificates are made per test with openssl in a temporary folder."""

import os
import shutil
import socket
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, free_port, uac, uas, wait_until  # noqa: E402
from sip_tls import Pki, TlsCaller, header  # noqa: E402

NUMBER = "+15550100"
BLOCKED = "callmesh_ingress_blocked_requests_total"
TRUNK_BLOCKED = "callmesh_ingress_trunk_blocked_requests_total"
TRUNK_CALLS = "callmesh_ingress_trunk_new_calls_total"


def routing(phone_port):
    return (f'tracking_numbers:\n  - number: "{NUMBER}"\n    receiving_numbers:\n'
            f'      - {{number: "+15550190", uri: "sip:+15550190@127.0.0.1:{phone_port}"}}\n')


def identity(number, host="carrier.example.net"):
    return f"<sip:{number}@{host}>"


def udp_port_taken(port):
    """True once something (the SIPp phone) listens on UDP `port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True


class TrunksE2E(unittest.TestCase):
    def start(self, ingress_extra):
        phone_port = free_port()
        self.cluster = Cluster(routing(phone_port), ingress_extra=ingress_extra).start()
        self.addCleanup(self.cluster.cleanup)
        self.phone = uas(self.cluster, "uas_identity_capture.xml", phone_port, "phone")
        self.addCleanup(self.phone.stop)
        wait_until(lambda: udp_port_taken(phone_port), 5, what="the phone's port bound")

    def caller(self, source, calls, name, number="+12125550100", hold_ms=500):
        """`calls` SIPp calls from `source`, started at 1,000 a second (all within ~10 ms), each
        asserting <sip:`number`@carrier.example.net>."""
        c = uac(self.cluster, NUMBER, calls=calls, rate=1000, hold_ms=hold_ms, name=name,
                scenario="uac_trunk_call.xml", source=source, extra=["-key", "identity", number])
        self.addCleanup(c.stop)
        return c

    def identities(self, expected):
        """Call-ID -> the P-Asserted-Identity the phone received ("" for none), once `expected`
        INVITEs are logged."""
        self.assertEqual(self.phone.count_when("identity", expected), expected)
        out = {}
        for line in self.phone.lines("identity"):
            call_id, _, pai = line.partition(" ")
            out[call_id] = pai.strip("|")
        return out

    def metric(self, name, labels):
        return self.cluster.metric("ingress", name, labels)

    def test_a_trunk_over_its_new_call_burst_gets_503_with_retry_after_others_untouched(self):
        # carrier-a may start 5 calls at once then 1 a second; it starts 10 within ~10 ms. Its 6th
        # to 10th get the stateless 503 with Retry-After: 1 (the bucket has a call again within a
        # second), counted as new_call_rate, globally and for carrier-a. Its 5 refusals stay within
        # the refusal budget (burst 5): no ban. At the same time carrier-b (its own bucket, the
        # ingress-wide default rates) and a source that is no trunk (the per-source bucket) start
        # 10 calls each: all 20 connect.
        self.start("  trunks:\n"
                   '    - {name: carrier-a, sources: ["127.0.0.2/32"], new_call_rps: 1, new_call_burst: 5}\n'
                   '    - {name: carrier-b, sources: ["127.0.0.3/32"]}\n')
        a = self.caller("127.0.0.2", 10, "carrier-a")
        b = self.caller("127.0.0.3", 10, "carrier-b")
        c = self.caller("127.0.0.4", 10, "no-trunk")
        for caller in (a, b, c):
            self.assertEqual(caller.wait(timeout=60), 0, caller.out_file)
        self.assertEqual((a.count("answered"), a.count("ended")), (5, 5))
        self.assertEqual(a.lines("final"), ["503 retry_after 1"] * 5)
        for caller in (b, c):
            self.assertEqual((caller.count("answered"), caller.count("ended")), (10, 10))
            self.assertEqual(caller.lines("final"), [])
        self.assertEqual(self.phone.count_when("answered", 25), 25)
        # Which phone calls came from whom: the Call-ID SIPp makes ends with its address.
        sources = sorted(cid.rsplit("@", 1)[1] for cid in self.identities(25))
        self.assertEqual(sources, ["127.0.0.2"] * 5 + ["127.0.0.3"] * 10 + ["127.0.0.4"] * 10)
        self.assertEqual(self.metric(BLOCKED, 'reason="new_call_rate"'), 5)
        for reason in ("new_call_banned", "rate_limited", "banned", "untrusted"):
            self.assertEqual(self.metric(BLOCKED, f'reason="{reason}"'), 0, reason)
        self.assertEqual(self.metric(TRUNK_BLOCKED, 'reason="new_call_rate",trunk="carrier-a"'), 5)
        self.assertEqual(self.metric(TRUNK_BLOCKED, 'reason="new_call_banned",trunk="carrier-a"'), 0)
        self.assertEqual(self.metric(TRUNK_BLOCKED, 'reason="new_call_rate",trunk="carrier-b"'), 0)
        self.assertEqual(self.metric(TRUNK_CALLS, 'trunk="carrier-a"'), 5)
        self.assertEqual(self.metric(TRUNK_CALLS, 'trunk="carrier-b"'), 10)

    def test_identity_is_kept_only_from_a_trunk_that_is_trusted_for_it(self):
        # RFC 3325: pbx-trusted says identity_trusted; carrier-untrusted does not, though its
        # address is also in identity_trusted_sources (a trunk's own setting decides); 127.0.0.4 is
        # no trunk and is in identity_trusted_sources; 127.0.0.5 is neither.
        self.start('  identity_trusted_sources: ["127.0.0.3/32", "127.0.0.4/32"]\n'
                   "  trunks:\n"
                   '    - {name: pbx-trusted, sources: ["127.0.0.2/32"], identity_trusted: true}\n'
                   '    - {name: carrier-untrusted, sources: ["127.0.0.3/32"]}\n')
        callers = [self.caller(f"127.0.0.{i}", 1, f"caller-{i}", number=f"+1212555010{i}")
                   for i in (2, 3, 4, 5)]
        for c in callers:
            self.assertEqual(c.wait(timeout=30), 0, c.out_file)
            self.assertEqual((c.count("answered"), c.count("ended")), (1, 1))
        got = {cid.rsplit("@", 1)[1]: pai for cid, pai in self.identities(4).items()}
        self.assertEqual(got, {"127.0.0.2": identity("+12125550102"), "127.0.0.3": "",
                               "127.0.0.4": identity("+12125550104"), "127.0.0.5": ""})
        self.assertEqual(self.metric(TRUNK_CALLS, 'trunk="pbx-trusted"'), 1)
        self.assertEqual(self.metric(TRUNK_CALLS, 'trunk="carrier-untrusted"'), 1)


class TrunkByCertificateE2E(unittest.TestCase):
    def setUp(self):
        self.tls_port = free_port()
        self.pki_dir = tempfile.mkdtemp(prefix="callmesh-trunks-")
        self.addCleanup(shutil.rmtree, self.pki_dir, True)
        self.pki = Pki(self.pki_dir)
        server = self.pki.leaf("ingress", "localhost")
        phone_port = free_port()
        # sbc-a is known by its certificate only, and shares its address with shared-nat (a NAT in
        # front of both): identity trusted and 2 new calls at once for sbc-a; neither for
        # shared-nat, whose bucket keeps the ingress-wide defaults.
        ingress = (f"  tls_port: {self.tls_port}\n  tls_cert_file: {server[0]}\n  tls_key_file: {server[1]}\n"
                   f"  tls_ca_file: {self.pki.ca_cert}\n  tls_client_cert: optional\n"
                   "  trunks:\n"
                   "    - {name: sbc-a, tls_subjects: [sbc-a.example.net], identity_trusted: true,"
                   " new_call_rps: 1, new_call_burst: 2}\n"
                   '    - {name: shared-nat, sources: ["127.0.0.2/32"]}\n')
        self.cluster = Cluster(routing(phone_port), ingress_extra=ingress).start()
        self.addCleanup(self.cluster.cleanup)
        self.phone = uas(self.cluster, "uas_identity_capture.xml", phone_port, "phone")
        self.addCleanup(self.phone.stop)
        wait_until(lambda: udp_port_taken(phone_port), 5, what="the phone's port bound")

    def caller(self, cert_name=None, subject=None):
        cert = self.pki.leaf(cert_name, subject) if cert_name else None
        c = TlsCaller(self.tls_port, self.pki.ca_cert, cert=cert, source="127.0.0.2")
        self.addCleanup(c.close)
        return c

    def test_a_trunk_known_by_its_certificate_has_its_own_identity_trust_and_bucket(self):
        sbc_a = [self.caller(f"sbc-a-{i}", "sbc-a.example.net") for i in range(3)]
        # The three INVITEs back to back (the TLS handshakes done before), well within the second
        # in which sbc-a's bucket would get a call back: 2 connect, the 3rd gets 503.
        for i, c in enumerate(sbc_a):
            c.send_invite(NUMBER, extra=f"P-Asserted-Identity: {identity(f'+1212555020{i}', 'sbc-a.example.net')}")
        self.assertEqual([c.final_response() for c in sbc_a], [200, 200, 503])
        self.assertEqual(header(sbc_a[2].final_headers, "Retry-After"), "1")
        # From the same address, a certificate naming no trunk, and none at all: shared-nat, whose
        # bucket sbc-a's burst did not touch, and whose identity is not trusted.
        others = [self.caller("sbc-b", "sbc-b.example.net"), self.caller()]
        for i, c in enumerate(others):
            extra = f"P-Asserted-Identity: {identity(f'+1212555030{i}', 'sbc-a.example.net')}"
            self.assertEqual(c.invite(NUMBER, extra=extra), 200)
        for c in sbc_a[:2] + others:
            self.assertEqual(c.bye(), 200)
        got = self.identities(4)
        self.assertEqual(got, {sbc_a[0].call_id: identity("+12125550200", "sbc-a.example.net"),
                               sbc_a[1].call_id: identity("+12125550201", "sbc-a.example.net"),
                               others[0].call_id: "", others[1].call_id: ""})
        self.assertEqual(self.cluster.metric("ingress", BLOCKED, 'reason="new_call_rate"'), 1)
        self.assertEqual(self.cluster.metric("ingress", TRUNK_BLOCKED,
                                             'reason="new_call_rate",trunk="sbc-a"'), 1)
        self.assertEqual(self.cluster.metric("ingress", TRUNK_CALLS, 'trunk="sbc-a"'), 2)
        self.assertEqual(self.cluster.metric("ingress", TRUNK_CALLS, 'trunk="shared-nat"'), 2)
        wait_until(lambda: self.cluster.metric("ingress", "callmesh_ingress_active_calls") == 0, 5,
                   what="every call ended at the ingress")

    def identities(self, expected):
        self.assertEqual(self.phone.count_when("identity", expected), expected)
        return {line.partition(" ")[0]: line.partition(" ")[2].strip("|")
                for line in self.phone.lines("identity")}


if __name__ == "__main__":
    unittest.main()
