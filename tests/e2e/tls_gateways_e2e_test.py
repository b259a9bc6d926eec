"""TLS gateways given by DNS name (issue 21: "the peer's certificate checked against the configured
name for outbound legs", RFC 5922), end to end: the ingress resolves sips:good.carrier.test and
sips:bad.carrier.test per RFC 3263 at a real DNS server (dnsmasq on loopback, dns_server.py:
SIPS+D2T NAPTR -> _sips._tcp SRV -> A), and sends to the address DNS gave while checking the
gateway's certificate against the configured name. The gateways are TLS phones (sip_tls.py) whose
certificates name good.carrier.test, or another host: neither names the SRV target nor 127.0.0.1,
so only a check against the configured name lets a call through. A refused gateway gets no SIP,
and the call moves on to the next gateway at once (not at the answer deadline nor timer B)."""

import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, free_port, wait_until  # noqa: E402
from dns_server import DnsServer  # noqa: E402
from gateway_sets_e2e_test import routing  # noqa: E402
from sip_tls import Pki, TlsCaller, TlsPhone  # noqa: E402

# Generous bound on INVITE -> the next gateway's INVITE / the caller's final response: without
# the prompt refusal the branch waits for gateway_answer_timeout_ms (set far above it below).
PROMPT_S = 5.0
ANSWER_TIMEOUT_MS = 20000


class TlsGatewaysByName(unittest.TestCase):
    def setUp(self):
        self.pki_dir = tempfile.mkdtemp(prefix="callmesh-tlsgw-")
        self.addCleanup(shutil.rmtree, self.pki_dir, True)
        self.pki = Pki(self.pki_dir)
        self.tls_port = free_port()
        self.server_cert = self.pki.leaf("ingress", "localhost")
        self.dns = DnsServer()

    def phone(self, stem, cert_name):
        p = TlsPhone(*self.pki.leaf(stem, cert_name))
        self.addCleanup(p.close)
        return p

    def start(self, entries, phones):
        """`entries`: (name, uri, priority) of the set "carriers"; `phones`: host -> TlsPhone."""
        gws = "".join(f'      - {{uri: "{uri}", name: {name}, priority: {prio}}}\n'
                      for name, uri, prio in entries)
        # One failed probe does not mark a gateway down here: the calls meet the refusal in-call.
        ingress = (f"  tls_port: {self.tls_port}\n  tls_cert_file: {self.server_cert[0]}\n"
                   f"  tls_key_file: {self.server_cert[1]}\n  tls_ca_file: {self.pki.ca_cert}\n"
                   f"  gateway_probe_interval_ms: 60000\n  gateway_probe_timeout_ms: 2000\n"
                   f"  gateway_failures_before_down: 3\n  gateway_successes_before_up: 1\n"
                   f"  gateway_answer_timeout_ms: {ANSWER_TIMEOUT_MS}\n"
                   f"  gateway_dns_server: \"{self.dns.address}\"\n  gateway_dns_timeout_ms: 1000\n"
                   f"  gateway_dns_attempts: 1\n  gateway_dns_max_targets: 1\n"
                   f"  gateway_sets:\n    carriers:\n{gws}")
        self.cluster = Cluster(routing(), ingress_extra=ingress)
        self.addCleanup(self.cluster.cleanup)
        self.dns.workdir = self.cluster.dir
        self.addCleanup(self.dns.stop)
        # good.carrier.test publishes SIPS+D2T; bad.carrier.test only _sips._tcp (RFC 3263 4.1's
        # fallback without NAPTR). The SRV targets are other names again, and resolve to loopback.
        naptr = [("good.carrier.test", 10, 10, "S", "SIPS+D2T", "_sips._tcp.good.carrier.test")]
        srv = [(f"_sips._tcp.{host}", f"gw-{host}", p.port, 10, 10) for host, p in phones.items()]
        hosts = [(f"gw-{host}", "127.0.0.1") for host in phones]
        self.dns.start("carrier.test", naptr=naptr, srv=srv, hosts=hosts, ttl=60)
        self.cluster.start()
        for name, _, _ in entries:
            wait_until(lambda n=name: self.cluster.metric(
                "ingress", "callmesh_ingress_gateway_dns_targets", f'gateway="{n}",set="carriers"') == 1,
                15, what=f"{name} resolved")

    def caller(self):
        c = TlsCaller(self.tls_port, self.pki.ca_cert)
        c.conn.settimeout(30)
        self.addCleanup(c.close)
        return c

    def sip_methods(self, phone):
        return [m for m in phone.methods() if m != "OPTIONS"]

    def test_gateway_is_verified_against_its_configured_name_not_its_address(self):
        good = self.phone("good", "good.carrier.test")
        self.start([("good", "sips:good.carrier.test", 0)], {"good.carrier.test": good})
        caller = self.caller()
        self.assertEqual(caller.invite("+15550100"), 200)
        self.assertEqual(caller.bye(), 200)
        # In-dialog requests go over the connection checked for the name too.
        wait_until(lambda: self.sip_methods(good) == ["INVITE", "ACK", "BYE"], 5,
                   what="INVITE/ACK/BYE at the gateway")
        invite = good.requests[good.methods().index("INVITE")][1]
        # The request URI names the address DNS gave; the certificate was checked for the name.
        start = next(v for n, v in invite if n.lower() == "via")
        self.assertIn("SIP/2.0/TLS", start)
        self.assertEqual(good.handshake_errors, [])
        asked = {name for _, name in self.dns.queries()}
        self.assertEqual(asked, {"good.carrier.test", "_sips._tcp.good.carrier.test",
                                 "gw-good.carrier.test"})

    def test_gateway_whose_certificate_names_another_host_is_refused_and_the_next_one_carries(self):
        bad = self.phone("bad", "other.carrier.test")
        good = self.phone("good", "good.carrier.test")
        self.start([("bad", "sips:bad.carrier.test", 0), ("good", "sips:good.carrier.test", 1)],
                   {"bad.carrier.test": bad, "good.carrier.test": good})
        caller = self.caller()
        sent = time.monotonic()
        self.assertEqual(caller.invite("+15550100"), 200)
        answered = time.monotonic() - sent
        self.assertEqual(caller.responses[-1], 200)
        wait_until(lambda: "INVITE" in good.methods(), 5, what="the INVITE at the good gateway")
        moved = good.arrivals[good.methods().index("INVITE")] - sent
        print(f"\n[measured] refused TLS gateway -> next gateway's INVITE {moved * 1000:.0f} ms, "
              f"caller's 200 after {answered * 1000:.0f} ms", file=sys.stderr)
        self.assertLess(moved, PROMPT_S)
        self.assertEqual(bad.methods(), [])  # not one SIP byte: not even the OPTIONS probes
        self.assertGreaterEqual(bad.connections, 1)  # the handshake happened, then sofia refused
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_gateway_failovers_total",
                                             'gateway="bad/0",reason="503",set="carriers"'), 1)
        log = self.cluster.log("ingress")
        self.assertIn("Peer Subject Mismatch", log)
        self.assertIn('"event":"branch_connection_closed"', log)
        self.assertEqual(caller.bye(), 200)

    def test_only_gateway_refused_gives_the_caller_a_prompt_final_response(self):
        bad = self.phone("bad", "other.carrier.test")
        self.start([("bad", "sips:bad.carrier.test", 0)], {"bad.carrier.test": bad})
        caller = self.caller()
        sent = time.monotonic()
        final = caller.invite("+15550100")
        took = time.monotonic() - sent
        print(f"\n[measured] only TLS gateway refused -> caller's {final} after {took * 1000:.0f} ms",
              file=sys.stderr)
        self.assertLess(took, PROMPT_S)
        # The plan's final response once its one target failed (as when a phone is busy).
        self.assertEqual(caller.responses, [100, 486])
        self.assertEqual(bad.methods(), [])
        self.assertIn('"event":"branch_connection_closed"', self.cluster.log("ingress"))


if __name__ == "__main__":
    unittest.main()
