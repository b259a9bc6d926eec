"""A hardened edge (issue 16, items 1, 2 and 8): what a gateway, or an attacker behind one, sends
cannot stretch the caps, the frames or the state of the cluster, and an ingress going away still
answers its callers. Each test asserts the exact outcome: codes, what the phone got, leases in
Redis, counters."""

import os
import signal
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, free_port, sum_samples, uac, uas, wait_until  # noqa: E402

NUMBER = "+18889990000"
SLOTS_KEY = "cm:{+18889990000}:slots"


def routing(phone_port, ring_timeout_s=None):
    timeout = f"    ring_timeout_s: {ring_timeout_s}\n" if ring_timeout_s else ""
    return f"""tracking_numbers:
  - number: "{NUMBER}"
{timeout}    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{phone_port}"
"""


def invite(sip, call_id, user=NUMBER, transport="UDP", local_port=5999):
    body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
    return (f"INVITE sip:{user}@{sip} SIP/2.0\r\n"
            f"Via: SIP/2.0/{transport} 127.0.0.1:{local_port};branch=z9hG4bK-edge-{time.monotonic_ns()}\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:+15557770000@127.0.0.1>;tag=edge\r\n"
            f"To: <sip:{user}@{sip}>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n"
            f"Contact: <sip:+15557770000@127.0.0.1:{local_port}>\r\nContent-Type: application/sdp\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


def status_of(response):
    first = response.split(b"\r\n", 1)[0].decode(errors="replace")
    return int(first.split(" ")[1]) if first.startswith("SIP/2.0 ") else 0


class HostileEdge(unittest.TestCase):
    def start(self, routing_yaml, **kwargs):
        self.cluster = Cluster(routing_yaml, **kwargs).start()
        self.addCleanup(self.cluster.cleanup)
        return self.cluster

    def phone(self, scenario, port, name, extra=None):
        p = uas(self.cluster, scenario, port, name, extra)
        self.addCleanup(p.stop)
        return p

    def test_one_number_written_three_ways_is_one_cap(self):
        # Item 1: 60 calls held to one number in three written forms, cap 50: exactly 50 connect
        # and 10 get 486, and Redis holds one slot set of 50 (it held two sets of 30 before).
        phone_port = free_port()
        cluster = self.start(routing(phone_port))
        phone = self.phone("uas_answer.xml", phone_port, "phone")
        callers = [uac(cluster, form, calls=20, rate=200, hold_ms=6000, name=f"caller{i}",
                       scenario="uac_call_any.xml")
                   for i, form in enumerate([NUMBER, "18889990000", "1-888-999-0000"])]
        for c in callers:
            self.addCleanup(c.stop)
        outcomes = lambda: sum(c.count("answered") + c.count("final") for c in callers)  # noqa: E731
        wait_until(lambda: outcomes() == 60, 20, what="60 outcomes")
        self.assertEqual(cluster.redis("ZCARD", SLOTS_KEY), "50")
        self.assertEqual(cluster.redis("EXISTS", "cm:{18889990000}:slots"), "0")
        for c in callers:
            self.assertEqual(c.wait(timeout=30), 0, c.out_file)
        self.assertEqual(sum(c.count("answered") for c in callers), 50)
        self.assertEqual(sum(c.lines("final").count("486") for c in callers), 10)
        self.assertEqual(phone.count("answered"), 50)
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_cap_rejections_total"), 10)
        wait_until(lambda: cluster.redis("ZCARD", SLOTS_KEY) == "0", 5, what="slots released")

    def test_two_kilobyte_call_id_is_400_over_udp_and_tcp_and_nothing_is_offered(self):
        # Item 2: the Call-ID rides in every frame about the call; past ingress.max_call_id_bytes
        # (256) the request is answered 400 at the edge, routed nowhere, counted.
        phone_port = free_port()
        cluster = self.start(routing(phone_port))
        phone = self.phone("uas_answer.xml", phone_port, "phone")
        host, port = "127.0.0.1", cluster.ports["sip"]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            u.settimeout(3)
            u.sendto(invite(cluster.sip, "u" * 2048, local_port=u.getsockname()[1]), (host, port))
            udp_status = status_of(u.recvfrom(65535)[0])
        with socket.create_connection((host, port), timeout=3) as t:
            t.sendall(invite(cluster.sip, "t" * 2048, transport="TCP", local_port=t.getsockname()[1]))
            tcp_status = status_of(t.recv(65535))
        # A 2 KB Request-URI gets 414 (RFC 3261 21.4.12); a 5 KB header 400.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            u.settimeout(3)
            u.sendto(invite(cluster.sip, "c-uri", user="1" * 2048, local_port=u.getsockname()[1]), (host, port))
            uri_status = status_of(u.recvfrom(65535)[0])
        self.assertEqual((udp_status, tcp_status, uri_status), (400, 400, 414))
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_blocked_requests_total",
                                        'reason="oversized"'), 3)
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_calls_offered_total"), 0)
        self.assertEqual(sum_samples(cluster.http("router", "/metrics")[1], "callmesh_router_decisions_total"), 0)
        self.assertEqual(phone.count("answered"), 0)
        # An ordinary call right after is served.
        caller = uac(cluster, NUMBER, calls=1, rate=1, hold_ms=100, name="caller")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.count("answered"), 1)

    def test_sigterm_while_ringing_the_caller_gets_480_and_the_phone_a_cancel(self):
        # Item 8: a phone that never answers, the ingress told to stop: after drain_timeout_s the
        # caller gets a final response (480, not silence) and the phone a CANCEL; the ingress
        # exits cleanly and gives the slot back.
        phone_port = free_port()
        cluster = self.start(routing(phone_port, ring_timeout_s=60),
                             ingress_extra="  drain_timeout_s: 1\n")
        phone = self.phone("uas_ring_forever.xml", phone_port, "phone")
        caller = uac(cluster, NUMBER, calls=1, rate=1, hold_ms=100, name="caller",
                     scenario="uac_call_any.xml")
        self.addCleanup(caller.stop)
        wait_until(lambda: cluster.redis("ZCARD", SLOTS_KEY) == "1", 10, what="the call ringing")
        time.sleep(0.3)
        started = time.monotonic()
        self.assertEqual(cluster.stop_service("ingress", signal.SIGTERM, timeout=15), 0)
        wait_until(lambda: caller.lines("final") == ["480"], 5, what="the caller's 480")
        self.assertLess(time.monotonic() - started, 6)
        wait_until(lambda: phone.count("cancelled") == 1, 5, what="the phone CANCELled")
        self.assertEqual(caller.count("answered"), 0)
        self.assertEqual(cluster.redis("ZCARD", SLOTS_KEY), "0")


if __name__ == "__main__":
    unittest.main()
