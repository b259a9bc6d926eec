"""Interop (issue 3): Kamailio 5.6 as the carrier gateway in front of the callmesh ingress.

SIPp caller -> Kamailio (tm + rr: record_route, loose_route) -> callmesh ingress -> SIPp phone.
Calls, CANCELs and BYEs (from either side) complete through both proxies; every assertion is an
exact outcome seen at both ends and in the cluster's metrics and Redis."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, HERE)
from cluster import Cluster, Sipp, free_port, uas, wait_until  # noqa: E402
from kamailio_proc import Kamailio  # noqa: E402

SLOTS_KEY = "cm:{+15550100}:slots"


def routing(uas_port):
    return f"""tracking_numbers:
  - number: "+15550100"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{uas_port}"
"""


class KamailioInFrontOfIngress(unittest.TestCase):
    def setUp(self):
        self.uas_port = free_port()
        self.cluster = Cluster(routing(self.uas_port)).start()
        self.addCleanup(self.cluster.cleanup)
        self.kam_port = free_port()
        # One UDP worker: with two, Kamailio relays provisionals and finals in parallel and may
        # reorder them (a 100 after the 180, a 180 after the 200), which SIPp's strict scenarios
        # take as an unexpected message and abort the call: that was this suite's CANCEL flake.
        self.kamailio = Kamailio(os.path.join(HERE, "kamailio.cfg"), self.cluster.dir, self.kam_port,
                                 defines={"INGRESS": self.cluster.sip}, children=1, shm_mb=32)
        self.addCleanup(self.kamailio.stop)
        self.kamailio.wait_ready()

    def phone(self, scenario, extra=None):
        p = uas(self.cluster, scenario, self.uas_port, "phone", extra)
        self.addCleanup(p.stop)
        return p

    def caller(self, scenario, calls, rate, hold_ms, name="caller"):
        """A SIPp caller whose next hop is Kamailio, not the ingress."""
        args = ["-s", "+15550100", f"127.0.0.1:{self.kam_port}", "-i", "127.0.0.1", "-p", str(free_port()),
                "-m", str(calls), "-r", str(rate), "-d", str(hold_ms), "-l", str(calls)]
        p = Sipp(self.cluster.dir, scenario, args, name)
        self.addCleanup(p.stop)
        return p

    def assert_kamailio_alive(self):
        self.assertIsNone(self.kamailio.proc.poll(), "kamailio died: " + self.kamailio.log_file)

    def in_dialog(self, method):
        """In-dialog requests Kamailio relayed by loose_route (its cfg logs one line each)."""
        return sum(1 for line in self.kamailio.log().splitlines() if f"in-dialog {method} " in line)

    def test_calls_are_answered_and_caller_bye_reaches_the_phone(self):
        trace = os.path.join(self.cluster.dir, "phone.messages")
        phone = self.phone("uas_answer.xml", extra=["-trace_msg", "-message_file", trace])
        caller = self.caller("uac_call.xml", calls=20, rate=20, hold_ms=200)
        self.assertEqual(caller.wait(timeout=60), 0, caller.out_file)
        self.assertEqual(caller.count("answered"), 20)
        self.assertEqual(phone.count_when("answered", 20), 20)
        wait_until(lambda: phone.count("bye") == 20, 5, what="20 BYEs reached the phone through both proxies")
        self.assertEqual(self.in_dialog("ACK"), 20)
        self.assertEqual(self.in_dialog("BYE"), 20)
        # The phone saw both proxies in the route set: the ingress's and Kamailio's Record-Route.
        with open(trace, errors="replace") as f:
            rr = [line for line in f if line.lower().startswith("record-route:")]
        self.assertTrue(any(f":{self.kam_port};" in line for line in rr), rr[:2])
        self.assertTrue(any(f":{self.cluster.ports['sip']};" in line for line in rr), rr[:2])
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_calls_answered_total"), 20)
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_calls_ended_total",
                                             'reason="caller_hangup"'), 20)
        wait_until(lambda: self.cluster.redis("ZCARD", SLOTS_KEY) == "0", 5, what="slots released")
        self.assert_kamailio_alive()

    def test_caller_cancel_reaches_the_phone(self):
        phone = self.phone("uas_ring_forever.xml")
        caller = self.caller("uac_cancel.xml", calls=5, rate=10, hold_ms=300)
        self.assertEqual(caller.wait(timeout=30), 0, caller.out_file)
        self.assertEqual(caller.count("cancelled"), 5)
        wait_until(lambda: phone.count("cancelled") == 5, 5, what="the phone got 5 CANCELs")
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_calls_ended_total",
                                             'reason="caller_cancel"'), 5)
        wait_until(lambda: self.cluster.redis("ZCARD", SLOTS_KEY) == "0", 5, what="slots released")
        self.assert_kamailio_alive()

    def test_callee_bye_goes_back_through_both_proxies(self):
        phone = self.phone("uas_answer_then_bye.xml", extra=["-d", "200"])
        caller = self.caller("uac_callee_hangup.xml", calls=5, rate=10, hold_ms=0)
        self.assertEqual(caller.wait(timeout=30), 0, caller.out_file)
        self.assertEqual(caller.count("hungup"), 5)
        wait_until(lambda: phone.count("hungup") == 5, 5, what="the phone got 5 200s to its BYEs")
        self.assertEqual(self.in_dialog("BYE"), 5)  # the phone's BYEs came back through Kamailio
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_calls_ended_total",
                                             'reason="callee_hangup"'), 5)
        wait_until(lambda: self.cluster.redis("ZCARD", SLOTS_KEY) == "0", 5, what="slots released")
        self.assert_kamailio_alive()

    def test_busy_phone_486_is_relayed_and_acked_through_kamailio(self):
        phone = self.phone("uas_busy.xml")
        caller = self.caller("uac_reject.xml", calls=3, rate=10, hold_ms=0)
        self.assertEqual(caller.wait(timeout=30), 0, caller.out_file)
        self.assertEqual(caller.lines("final"), ["486"] * 3)
        self.assertEqual(phone.count_when("busy", 3), 3)
        # One call detail record per busy call (issue 20), written after the 486 went back
        # through Kamailio.
        wait_until(lambda: self.cluster.redis("ZCARD", "cm:{cdr}:outcome:busy") == "3", 5,
                   what="3 busy call records")
        self.assert_kamailio_alive()

    def test_reinvite_mid_call_goes_through_both_record_routes(self):
        phone = self.phone("uas_reinvite.xml")
        caller = self.caller("uac_reinvite.xml", calls=3, rate=5, hold_ms=0)
        self.assertEqual(caller.wait(timeout=30), 0, caller.out_file)
        self.assertEqual(caller.count("reinvited"), 3)
        self.assertEqual(phone.count_when("reinvited", 3), 3)
        self.assertEqual(self.in_dialog("INVITE"), 3)
        self.assert_kamailio_alive()


if __name__ == "__main__":
    unittest.main(verbosity=2)
