"""SIP over TLS through the ingress (issue 21 items 1 and 4), end to end with the whole cluster:
a TLS caller (tests/e2e/sip_tls.py, Python's ssl: Debian's SIPp has no TLS) reaches a SIPp phone
and hangs up; a leg out to a sips: phone; wrong certificates refused in both directions; a
renewed certificate taken without a restart; a trunk told apart by its client certificate.
Certificates are made per test with openssl in the cluster's temporary folder."""

import os
import shutil
import socket
import ssl
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, free_port, uac, uas, wait_until  # noqa: E402
from sip_tls import Pki, TlsCaller, TlsPhone, all_headers  # noqa: E402


def routing(uri, ring_timeout_s=None):
    timeout = f"    ring_timeout_s: {ring_timeout_s}\n" if ring_timeout_s else ""
    return (f'tracking_numbers:\n  - number: "+15550100"\n{timeout}    receiving_numbers:\n'
            f'      - {{number: "+15550190", uri: "{uri}"}}\n')


class TlsE2E(unittest.TestCase):
    def setUp(self):
        self.tls_port = free_port()
        self.pki_dir = tempfile.mkdtemp(prefix="callmesh-tls-")
        self.addCleanup(shutil.rmtree, self.pki_dir, True)
        self.pki = Pki(self.pki_dir)
        self.server_cert = self.pki.leaf("ingress", "localhost")

    def start(self, target_uri, client_cert="none", extra="", ring_timeout_s=None):
        ingress = (f"  tls_port: {self.tls_port}\n  tls_cert_file: {self.server_cert[0]}\n"
                   f"  tls_key_file: {self.server_cert[1]}\n  tls_ca_file: {self.pki.ca_cert}\n"
                   f"  tls_client_cert: {client_cert}\n{extra}")
        self.cluster = Cluster(routing(target_uri, ring_timeout_s), ingress_extra=ingress).start()
        self.addCleanup(self.cluster.cleanup)

    def caller(self, cert=None, ca=None):
        c = TlsCaller(self.tls_port, ca or self.pki.ca_cert, cert=cert)
        self.addCleanup(c.close)
        return c

    def test_tls_caller_reaches_a_udp_phone_and_hangs_up(self):
        phone_port = free_port()
        self.start(f"sip:+15550190@127.0.0.1:{phone_port}")
        phone = uas(self.cluster, "uas_answer.xml", phone_port, "phone")
        self.addCleanup(phone.stop)
        time.sleep(0.3)  # SIPp binds its port
        caller = self.caller()
        self.assertEqual(caller.invite("+15550100"), 200)
        self.assertEqual(caller.responses, [100, 180, 200])
        # Two Record-Route entries (RFC 5658): the caller's side first in its route set, over TLS
        # on the TLS port; the phone's side over UDP on the SIP port.
        self.assertEqual(caller.route, [f"<sip:127.0.0.1:{self.tls_port};transport=tls;lr>",
                                        f"<sip:127.0.0.1:{self.cluster.ports['sip']};lr>"])
        self.assertEqual(phone.count_when("answered", 1), 1)
        self.assertEqual(caller.bye(), 200)
        self.assertEqual(phone.count_when("bye", 1), 1)
        wait_until(lambda: self.cluster.metric("ingress", "callmesh_ingress_active_calls") == 0, 5,
                   what="the call ended at the ingress")

    def test_leg_out_to_a_sips_phone_checks_its_name(self):
        # sofia 1.12 matches the target's host as text against the certificate's SAN DNS names
        # and CN (it does not read SAN IP entries): the phone's certificate names 127.0.0.1.
        phone = TlsPhone(*self.pki.leaf("phone", "127.0.0.1"))
        self.addCleanup(phone.close)
        self.start(f"sips:+15550190@127.0.0.1:{phone.port}")
        caller = self.caller()
        self.assertEqual(caller.invite("+15550100"), 200)
        self.assertEqual(caller.bye(), 200)
        wait_until(lambda: phone.methods() == ["INVITE", "ACK", "BYE"], 5, what="INVITE/ACK/BYE at the phone")
        invite = phone.requests[0][1]
        # Both sides TLS: one Record-Route, on the TLS port.
        self.assertEqual(all_headers(invite, "Record-Route"),
                         [f"<sip:127.0.0.1:{self.tls_port};transport=tls;lr>"])

    def test_phone_whose_certificate_names_another_host_is_refused_at_once(self):
        phone = TlsPhone(*self.pki.leaf("phone", "wrong.example.net"))
        self.addCleanup(phone.close)
        # sofia closes a connection whose peer fails the check without failing the INVITE queued
        # on it; the ingress sees the connection closed under the branch and fails it at once
        # (tls_branch_watch.cpp), long before the step's ring timeout (30 s) or timer B (32 s).
        self.start(f"sips:+15550190@127.0.0.1:{phone.port}", ring_timeout_s=30)
        caller = self.caller()
        caller.conn.settimeout(40)
        sent = time.monotonic()
        caller.invite("+15550100")
        took = time.monotonic() - sent
        print(f"\n[measured] refused sips: phone -> caller's final after {took * 1000:.0f} ms",
              file=sys.stderr)
        self.assertLess(took, 5.0)
        # The plan's final response once its one phone failed (as when a phone is busy).
        self.assertEqual(caller.responses, [100, 486])
        self.assertEqual(phone.methods(), [])  # not one SIP byte reached it
        log = self.cluster.log("ingress")
        self.assertIn("Peer Subject Mismatch", log)
        self.assertIn('"event":"branch_connection_closed"', log)

    def test_caller_with_an_untrusted_client_certificate_is_refused(self):
        phone_port = free_port()
        self.start(f"sip:+15550190@127.0.0.1:{phone_port}", client_cert="required")
        phone = uas(self.cluster, "uas_answer.xml", phone_port, "phone")
        self.addCleanup(phone.stop)
        time.sleep(0.3)  # SIPp binds its port
        stranger = Pki(os.path.join(self.pki_dir, "stranger"), "stranger-ca")
        for cert in (stranger.leaf("sbc", "sbc-a.example.net"), None):
            with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
                c = TlsCaller(self.tls_port, self.pki.ca_cert, cert=cert)
                try:
                    c.invite("+15550100")
                finally:
                    c.close()
        self.assertEqual(phone.count("answered"), 0)
        # The ingress's own certificate, checked by the caller against another CA: refused too.
        with self.assertRaises(ssl.SSLCertVerificationError):
            TlsCaller(self.tls_port, stranger.ca_cert, cert=self.pki.leaf("sbc", "sbc-a.example.net"))
        good = self.caller(cert=self.pki.leaf("sbc-good", "sbc-a.example.net"))
        self.assertEqual(good.invite("+15550100"), 200)
        self.assertEqual(good.bye(), 200)

    def test_trunk_known_by_its_certificate_is_admitted_others_refused(self):
        phone_port = free_port()
        # No loopback address is trusted: only the trunk's certificate lets a caller in.
        extra = ('  trusted_sources: ["192.0.2.0/24"]\n  untrusted_action: reject\n'
                 "  trunks:\n    - {name: sbc-a, tls_subjects: [sbc-a.example.net], identity_trusted: true}\n")
        self.start(f"sip:+15550190@127.0.0.1:{phone_port}", client_cert="optional", extra=extra)
        phone = uas(self.cluster, "uas_answer.xml", phone_port, "phone")
        self.addCleanup(phone.stop)
        time.sleep(0.3)  # SIPp binds its port
        trunk = self.caller(cert=self.pki.leaf("sbc-a", "sbc-a.example.net"))
        self.assertEqual(trunk.invite("+15550100"), 200)
        self.assertEqual(trunk.bye(), 200)
        other = self.caller(cert=self.pki.leaf("sbc-b", "sbc-b.example.net"))
        self.assertEqual(other.invite("+15550100"), 403)
        anonymous = self.caller()
        self.assertEqual(anonymous.invite("+15550100"), 403)
        self.assertEqual(phone.count_when("answered", 1), 1)

    def test_renewed_certificate_is_served_without_a_restart(self):
        phone_port = free_port()
        self.start(f"sip:+15550190@127.0.0.1:{phone_port}")
        first = self.caller()
        first_serial = first.conn.getpeercert()["serialNumber"]
        renewed = self.pki.leaf("renewed", "localhost")
        # As a Secret update does: the files replaced under the configured names.
        os.replace(renewed[0], self.server_cert[0])
        os.replace(renewed[1], self.server_cert[1])
        wait_until(lambda: self.cluster.metric("ingress", "callmesh_ingress_tls_reloads_total",
                                               'outcome="ok"') == 1, 5, what="the reload")
        second = self.caller()
        self.assertNotEqual(second.conn.getpeercert()["serialNumber"], first_serial)
        self.assertEqual(first.conn.getpeercert()["serialNumber"], first_serial)  # kept its session


    def test_silent_connections_are_closed_working_ones_kept(self):
        phone_port = free_port()
        self.start(f"sip:+15550190@127.0.0.1:{phone_port}",
                   extra="  first_message_timeout_ms: 1000\n  max_connections_per_source: 3\n")
        phone = uas(self.cluster, "uas_answer.xml", phone_port, "phone")
        self.addCleanup(phone.stop)
        time.sleep(0.3)  # SIPp binds its port
        working = self.caller()
        self.assertEqual(working.invite("+15550100"), 200)
        # A plain TCP connection that says nothing, and one to the TLS port that never handshakes.
        silent = [socket.create_connection(("127.0.0.1", port), timeout=5)
                  for port in (self.cluster.ports["sip"], self.tls_port)]
        for s in silent:
            self.addCleanup(s.close)
        for s in silent:
            self.assertEqual(s.recv(1), b"")  # closed by the ingress (EOF), within the timeout
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_connections_cut_total",
                                             'reason="first_message_timeout"'), 2)
        self.assertEqual(working.bye(), 200)  # the working connection was left alone

    def open_connections(self, port, count, source="127.0.0.1"):
        conns = []
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.addCleanup(s.close)
            s.settimeout(5)
            s.bind((source, 0))
            try:
                s.connect(("127.0.0.1", port))
            except ConnectionResetError:
                pass  # reset at accept before connect() even returned: refused, not open
            conns.append(s)
        return conns

    @staticmethod
    def still_open(conns):
        """How many of `conns` the ingress has neither reset nor closed (nothing is sent)."""
        n = 0
        for s in conns:
            s.setblocking(False)
            try:
                if s.recv(1, socket.MSG_PEEK) != b"":
                    n += 1
            except BlockingIOError:
                n += 1
            except OSError:
                pass
        return n

    def cut(self, reason):
        return self.cluster.metric("ingress", "callmesh_ingress_connections_cut_total",
                                   f'reason="{reason}"')

    def test_connection_bounds_hold_at_accept_per_source_and_in_total(self):
        # The deadline sweep is pushed out of the way: whatever is cut here is cut at accept.
        self.start("sip:+15550190@127.0.0.1:9",
                   extra="  first_message_timeout_ms: 60000\n  max_connections_per_source: 5\n"
                         "  max_connections: 8\n")
        # 25 connections from one source as fast as they can be made, to the TCP and TLS ports:
        # 5 stay, 20 are reset at accept.
        burst = self.open_connections(self.cluster.ports["sip"], 15)
        burst += self.open_connections(self.tls_port, 10)
        wait_until(lambda: self.cut("per_source") == 20, 5, what="20 refused per source")
        wait_until(lambda: self.still_open(burst) == 5, 5, what="5 kept")
        self.assertEqual(self.still_open(burst), 5)
        # A second source: 3 more fit under max_connections (8), the rest are refused in total.
        other = self.open_connections(self.cluster.ports["sip"], 6, source="127.0.0.2")
        wait_until(lambda: self.cut("total") == 3, 5, what="3 refused in total")
        self.assertEqual(self.still_open(other), 3)
        self.assertEqual(self.cut("per_source"), 20)
        self.assertEqual(self.cut("first_message_timeout"), 0)
        # The sweep sees what the gate let in: never more than the bounds.
        wait_until(lambda: self.cluster.metric("ingress", "callmesh_ingress_connections_open") == 8, 5,
                   what="8 open at the sweep")
        self.assertIn('"event":"connections_refused"', self.cluster.log("ingress"))
        # A kept connection closed makes room for a new one from its source.
        kept = [s for s in burst if self.still_open([s]) == 1]
        kept[0].close()
        wait_until(lambda: self.cluster.metric("ingress", "callmesh_ingress_connections_open") == 7, 5,
                   what="the closed one gone")
        again = self.open_connections(self.cluster.ports["sip"], 1)
        time.sleep(0.3)
        self.assertEqual(self.still_open(again), 1)
        self.assertEqual(self.cut("per_source") + self.cut("total"), 23)


if __name__ == "__main__":
    unittest.main()
