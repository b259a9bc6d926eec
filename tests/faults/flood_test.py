"""Flood (issues 3 and 8): legitimate SIPp calls from 127.0.0.10 while 127.0.0.66 sends 5,000
packets/s of INVITE, OPTIONS and random bytes at the ingress.

Pass: at least 99% of the legitimate calls are answered, the ingress's per-source limiter
(ingress.rate_limit_rps / rate_limit_burst / ban_s) cuts the flood off within 2 s (the flooder gets
no response later than 2 s after it started, and callmesh_ingress_blocked_requests_total counts
rate_limited and banned), and every process of the cluster is still alive.

  python3 -m unittest -v flood_test          # short form (ctest, label e2e): 3 s of flood, 15k packets
  python3 flood_test.py --long               # long form by hand: 10 s of flood, 50k packets
  CALLMESH_FAULTS_LONG=1 python3 -m unittest flood_test   # the same
"""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, HERE)
from cluster import Cluster, Sipp, free_port, uas, wait_until  # noqa: E402
from flood import Flood  # noqa: E402

LONG = os.environ.get("CALLMESH_FAULTS_LONG") == "1"
LEGIT_SOURCE = "127.0.0.10"
FLOOD_SOURCE = "127.0.0.66"
RATE_RPS, BURST, BAN_S = 500, 1000, 30  # the shipped defaults, spelled out


def udp_rcvbuf_errors():
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    return int(dict(zip(rows[0], rows[1])).get("RcvbufErrors", 0))


class FloodFromOneSource(unittest.TestCase):
    def setUp(self):
        self.uas_port = free_port()
        routing = f"""tracking_numbers:
  - number: "+15550100"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{self.uas_port}"
"""
        self.cluster = Cluster(routing, ingress_extra=(f"  rate_limit_rps: {RATE_RPS}\n"
                                                       f"  rate_limit_burst: {BURST}\n  ban_s: {BAN_S}\n")).start()
        self.addCleanup(self.cluster.cleanup)

    def test_legitimate_calls_survive_a_flood_from_another_source(self):
        flood_s = 10.0 if LONG else 3.0
        legit_rate = 20
        legit_calls = int(legit_rate * (flood_s + 4))  # calls before, during and after the flood
        phone = uas(self.cluster, "uas_answer_retrans.xml", self.uas_port, "phone")
        self.addCleanup(phone.stop)
        caller = Sipp(self.cluster.dir, "uac_call.xml",
                      ["-s", "+15550100", self.cluster.sip, "-i", LEGIT_SOURCE, "-p", str(free_port()),
                       "-m", str(legit_calls), "-r", str(legit_rate), "-d", "500", "-l", str(legit_calls)],
                      "legit")
        self.addCleanup(caller.stop)
        wait_until(lambda: caller.count("answered") >= 20, 10, what="legitimate calls flowing")

        drops_before = udp_rcvbuf_errors()
        flood = Flood("127.0.0.1", self.cluster.ports["sip"], source=FLOOD_SOURCE, rate=5000,
                      seconds=flood_s).start()
        wait_until(lambda: self.cluster.metric("ingress", "callmesh_ingress_blocked_requests_total",
                                               'reason="rate_limited"') >= 1, 2.0,
                   interval=0.05, what="the flood source banned within 2 s")
        result = flood.join()
        caller.wait(timeout=legit_calls / legit_rate + 30)

        answered = caller.count("answered")
        print(f"\nflood: {result}; legit answered {answered}/{legit_calls}; "
              f"UDP datagrams dropped by the kernel (all sockets): {udp_rcvbuf_errors() - drops_before}",
              file=sys.stderr)
        self.assertGreaterEqual(result["total"], int(5000 * flood_s * 0.9), "the flood was not sent at rate")
        self.assertGreaterEqual(answered, legit_calls * 0.99, caller.out_file)
        # The BYE of every answered call reached the phone (ACKs may be lost under the flood).
        wait_until(lambda: phone.count("bye") >= answered, 5, what="BYEs at the phone")
        # Contained: no flood request sent later than 2 s after the start was served (routed or
        # answered by the proxy), and at most a burst's worth of flood INVITEs became calls.
        self.assertLess(result["served_for_s"], 2.0, result)
        offered = self.cluster.metric("ingress", "callmesh_ingress_calls_offered_total")
        self.assertLessEqual(offered - legit_calls, BURST, "flood INVITEs admitted as calls")
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_blocked_requests_total",
                                             'reason="rate_limited"'), 1)  # one ban for one source
        banned = self.cluster.metric("ingress", "callmesh_ingress_blocked_requests_total", 'reason="banned"')
        # The bulk of the flood was dropped as banned. Not an exact count: random bytes never parse
        # as SIP, and under the flood the kernel drops datagrams at the ingress's socket
        # (UDP RcvbufErrors) before anyone counts them.
        sip_requests = result["sent"]["INVITE"] + result["sent"]["OPTIONS"]
        self.assertGreaterEqual(banned, (sip_requests - BURST) // 2)
        for name, proc in self.cluster.procs.items():
            self.assertIsNone(proc.poll(), f"{name} exited during the flood: {self.cluster.dir}/{name}.log")
        self.assertTrue(self.cluster.healthy("ingress"))
        wait_until(lambda: self.cluster.redis("ZCARD", "cm:{+15550100}:slots") == "0", 5, what="slots released")
        self.assertEqual(self.cluster.redis("ZCARD", "cm:{+15550999}:slots"), "0")
        self.result = result

    # Known ingress bug: a banned (or untrusted, untrusted_action: drop) request is "dropped" with
    # nta_incoming_destroy(), which in sofia-sip answers an unanswered server transaction with
    # 500 Internal Server Error (and an INVITE's 500 is retransmitted until timer H, since a
    # flooder never ACKs). So the flooder gets more packets back than it sent. Remove the
    # decorator when the ingress drops banned requests without a transaction.
    def test_banned_source_gets_no_reply(self):
        flood = Flood("127.0.0.1", self.cluster.ports["sip"], source=FLOOD_SOURCE, rate=5000,
                      seconds=2.0).start()
        result = flood.join()
        print(f"\nflood: {result}", file=sys.stderr)
        self.assertGreaterEqual(self.cluster.metric("ingress", "callmesh_ingress_blocked_requests_total",
                                                    'reason="banned"'), 1)
        # Nothing sent after the ban (a burst's worth of requests, at most 1 s in) gets any answer.
        self.assertLess(result["answered_for_s"], 1.0, result)


if __name__ == "__main__":
    if "--long" in sys.argv:
        sys.argv.remove("--long")
        LONG = True
    unittest.main(verbosity=2)
