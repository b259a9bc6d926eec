"""Gateways given by DNS name end to end (issue 21 point 3): the ingress resolves the configured
name carrier.test per RFC 3263 (NAPTR -> SRV -> A) at a real DNS server (dnsmasq on loopback,
dns_server.py), and each address becomes a probed member of the set with its SRV priority. The
gateways are SIPp UASes on 127.0.0.2 / .3 / .4; each test asserts which gateway got which INVITE
(by Call-ID) from their -trace_msg files, and which names DNS was asked about."""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, Sipp, free_port, uac, wait_until  # noqa: E402
from dns_server import DnsServer  # noqa: E402
from gateway_sets_e2e_test import invites, invites_eventually, received_by, routing  # noqa: E402

TTL_S = 2
STALE_MS = 3000
ADDRESSES = {"a": "127.0.0.2", "b": "127.0.0.3", "c": "127.0.0.4"}


def ingress_config(dns):
    return (f"  gateway_probe_interval_ms: 500\n  gateway_probe_timeout_ms: 300\n"
            f"  gateway_failures_before_down: 2\n  gateway_successes_before_up: 1\n"
            f"  gateway_answer_timeout_ms: 2000\n"
            f"  gateway_dns_server: \"{dns.address}\"\n  gateway_dns_timeout_ms: 1000\n"
            f"  gateway_dns_attempts: 1\n  gateway_dns_retry_ms: 300\n"
            f"  gateway_dns_stale_ms: {STALE_MS}\n  gateway_dns_max_targets: 2\n"
            f"  gateway_sets:\n    carriers:\n      - {{uri: \"sip:carrier.test\", name: carrier}}\n")


class GatewayDns(unittest.TestCase):
    def setUp(self):
        self.ports = {k: free_port() for k in ADDRESSES}
        self.dns = DnsServer()
        # The set's only entry is the name; its DNS server is this test's dnsmasq.
        self.cluster = Cluster(routing(), ingress_extra=ingress_config(self.dns))
        self.addCleanup(self.cluster.cleanup)
        self.dns.workdir = self.cluster.dir
        self.addCleanup(self.dns.stop)

    def serve(self, srv):
        """carrier.test: a NAPTR for SIP over UDP, SRV records (gateway key, priority, weight)."""
        self.dns.start("test", naptr=[("carrier.test", 10, 10, "S", "SIP+D2U", "_sip._udp.carrier.test")],
                       srv=[("_sip._udp.carrier.test", f"gw-{k}.carrier.test", self.ports[k], prio, w)
                            for k, prio, w in srv],
                       hosts=[(f"gw-{k}.carrier.test", a) for k, a in ADDRESSES.items()], ttl=TTL_S)

    def gateway(self, key, scenario="uas_answer.xml", name=None):
        name = name or f"gw-{key}"
        msg_file = os.path.join(self.cluster.dir, f"{name}.msg.log")
        g = Sipp(self.cluster.dir, scenario, ["-i", ADDRESSES[key], "-p", str(self.ports[key]), "-aa",
                                             "-trace_msg", "-message_file", msg_file], name)
        g.msg_file = msg_file
        self.addCleanup(g.stop)
        return g

    def metric(self, name, labels):
        return self.cluster.metric("ingress", name, labels)

    def targets(self):
        return self.metric("callmesh_ingress_gateway_dns_targets", 'gateway="carrier",set="carriers"')

    def resolutions(self, result):
        return self.metric("callmesh_ingress_gateway_dns_resolutions_total",
                           f'gateway="carrier",result="{result}",set="carriers"')

    def call(self, name, calls=1):
        caller = uac(self.cluster, "+15550100", calls=calls, rate=10, hold_ms=100, name=name)
        self.assertEqual(caller.wait(timeout=30), 0, caller.out_file)
        self.assertEqual(caller.count("answered"), calls, caller.out_file)
        return caller.lines("answered")

    def start_cluster(self):
        self.cluster.start()
        wait_until(lambda: self.targets() >= 1, 15, what="carrier.test resolved")

    def member_log(self, target):
        return f'"target":"{target}"' in self.cluster.log("ingress")

    def test_srv_preferred_gateway_carries_calls_then_503_and_stopped_fail_over_to_the_second(self):
        self.serve([("a", 10, 60), ("b", 20, 10)])
        a = self.gateway("a")
        b = self.gateway("b")
        self.start_cluster()
        wait_until(lambda: self.targets() == 2, 10, what="both SRV targets members")
        wait_until(lambda: self.metric("callmesh_ingress_gateway_up",
                                       'gateway="carrier/1",set="carriers"') == 1, 10, what="b probed up")
        first = self.call("first", calls=2)
        self.assertEqual(invites_eventually(a, first), first)  # SRV priority 10 before 20
        self.assertEqual(invites(received_by(b)), [])

        # a answers every INVITE with 503 (its OPTIONS still 200): the same call moves to b.
        a.stop()
        a503 = self.gateway("a", "uas_unavailable.xml", "gw-a-503")
        wait_until(lambda: "OPTIONS" in [m for m, _ in received_by(a503)], 5, what="a probed again")
        wait_until(lambda: self.metric("callmesh_ingress_gateway_up",
                                       'gateway="carrier/0",set="carriers"') == 1, 10, what="a up")
        during = self.call("during")
        self.assertEqual(invites_eventually(a503, during), during)
        self.assertEqual(a503.lines("unavailable"), during)
        self.assertEqual(invites_eventually(b, during), during)
        self.assertEqual(self.metric("callmesh_ingress_gateway_failovers_total",
                                     'gateway="carrier/0",reason="503",set="carriers"'), 1)

        # a stopped altogether: the next call is carried by b, a gets nothing more.
        a503.stop()
        stopped = self.call("stopped")
        self.assertEqual(invites_eventually(b, during + stopped), during + stopped)
        self.assertEqual(invites(received_by(a503)), during)
        self.assertEqual(invites(received_by(a)), first)

        # DNS was asked about the configured name and the names its records point to, only.
        asked = {name for _, name in self.dns.queries()}
        self.assertEqual(asked, {"carrier.test", "_sip._udp.carrier.test", "gw-a.carrier.test",
                                 "gw-b.carrier.test"})

    def test_a_changed_dns_answer_is_used_once_the_ttl_runs_out(self):
        self.serve([("a", 10, 60)])
        a = self.gateway("a")
        c = self.gateway("c")
        self.start_cluster()
        before = self.call("before")
        self.assertEqual(invites_eventually(a, before), before)
        # The carrier moves its service to c: the DNS server restarts with the new SRV record.
        self.dns.stop()
        self.serve([("c", 10, 60)])
        target_c = f"{ADDRESSES['c']}:{self.ports['c']}"
        # Within TTL + a retry or two the member takes c's address (logged as gateway_dns_member).
        wait_until(lambda: self.member_log(target_c), TTL_S + 10, what="c became a member")
        after = self.call("after", calls=2)
        self.assertEqual(invites_eventually(c, after), after)
        self.assertEqual(invites(received_by(a)), before)
        self.assertEqual(self.targets(), 1)
        self.assertGreaterEqual(self.resolutions("ok"), 2)

    def test_dns_down_keeps_the_last_answer_for_a_bounded_time_and_no_message_name_is_asked(self):
        self.serve([("a", 10, 60)])
        a = self.gateway("a")
        self.start_cluster()
        # A request naming other hosts of the zone in its Via, Contact and Request-URI: the ingress
        # must not ask DNS about any of them.
        probe = (f"OPTIONS sip:x@evil.carrier.test SIP/2.0\r\n"
                 f"Via: SIP/2.0/UDP via.carrier.test:5060;branch=z9hG4bK-dns1\r\n"
                 f"From: <sip:x@from.carrier.test>;tag=1\r\nTo: <sip:x@evil.carrier.test>\r\n"
                 f"Call-ID: dns-guard-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
                 f"Contact: <sip:x@contact.carrier.test>\r\nContent-Length: 0\r\n\r\n")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(probe.encode(), ("127.0.0.1", self.cluster.ports["sip"]))
        self.dns.stop()
        wait_until(lambda: self.resolutions("failed") >= 1, TTL_S + 10, what="a failed resolution")
        wait_until(lambda: self.metric("callmesh_ingress_gateway_dns_stale",
                                       'gateway="carrier",set="carriers"') == 1, 5, what="stale")
        self.assertEqual(self.targets(), 1)
        kept = self.call("kept")  # the last good answer still carries calls
        self.assertEqual(invites_eventually(a, kept), kept)
        self.assertIn('"event":"gateway_dns_failed"', self.cluster.log("ingress"))
        # Past TTL + gateway_dns_stale_ms the answer is dropped: the set has no member.
        wait_until(lambda: self.targets() == 0, STALE_MS / 1000 + 10, what="answer dropped")
        self.assertEqual(self.metric("callmesh_ingress_gateway_set_up_gateways", 'set="carriers"'), 0)
        asked = {name for _, name in self.dns.queries()}
        self.assertEqual(asked, {"carrier.test", "_sip._udp.carrier.test", "gw-a.carrier.test"})


if __name__ == "__main__":
    unittest.main()
