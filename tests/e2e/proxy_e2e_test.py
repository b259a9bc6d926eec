"""The ingress as a forking, record-routing proxy (issue 3), end to end through the cluster with
SIPp phones and callers. Each test asserts which phone rang, which answered, what the caller got."""

import os
import signal
import sys
import time
import unittest
import urllib.error

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, free_port, uac, uas, wait_until  # noqa: E402


def receiving(ports, ring="together", ring_timeout_s=None, extra=""):
    timeout = f"    ring_timeout_s: {ring_timeout_s}\n" if ring_timeout_s else ""
    numbers = "".join(f'      - {{number: "+1555019{i}", uri: "sip:+1555019{i}@127.0.0.1:{p}"}}\n'
                      for i, p in enumerate(ports))
    return (f'tracking_numbers:\n  - number: "+15550100"\n    ring: {ring}\n{timeout}{extra}'
            f"    receiving_numbers:\n{numbers}")


class ProxyBehaviour(unittest.TestCase):
    def start(self, routing, **kwargs):
        self.cluster = Cluster(routing, **kwargs).start()
        self.addCleanup(self.cluster.cleanup)
        return self.cluster

    def phone(self, scenario, port, name, extra=None):
        p = uas(self.cluster, scenario, port, name, extra)
        self.addCleanup(p.stop)
        return p

    def test_parallel_fork_to_three_phones_first_answer_wins_others_cancelled(self):
        # seed 000_246ae9c7ee9a1def.txt: several receiving numbers rung together.
        ports = [free_port() for _ in range(3)]
        self.start(receiving(ports))
        ringing_b = self.phone("uas_ring_forever.xml", ports[0], "b")
        answering = self.phone("uas_answer.xml", ports[1], "a", extra=["-d", "300"])
        ringing_c = self.phone("uas_ring_forever.xml", ports[2], "c")
        time.sleep(0.3)
        caller = uac(self.cluster, "+15550100", calls=1, rate=1, hold_ms=500, name="caller")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.count("answered"), 1)
        self.assertEqual(answering.count("answered"), 1)
        wait_until(lambda: ringing_b.count("cancelled") == 1 and ringing_c.count("cancelled") == 1, 5,
                   what="both other phones CANCELled")

    def test_sequential_next_phone_rings_after_the_step_timeout(self):
        # seed 000_246ae9c7ee9a1def.txt: receiving numbers in order, no answer within the timeout.
        ports = [free_port(), free_port()]
        self.start(receiving(ports, ring="in_order", ring_timeout_s=1))
        first = self.phone("uas_ring_forever.xml", ports[0], "first")
        second = self.phone("uas_answer.xml", ports[1], "second")
        started = time.monotonic()
        caller = uac(self.cluster, "+15550100", calls=1, rate=1, hold_ms=200, name="caller")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(first.count("cancelled"), 1)
        self.assertEqual(second.count("answered"), 1)
        self.assertGreaterEqual(time.monotonic() - started, 1.0)

    def test_first_busy_second_rings_at_once(self):
        ports = [free_port(), free_port()]
        self.start(receiving(ports, ring="in_order", ring_timeout_s=30))
        busy = self.phone("uas_busy.xml", ports[0], "busy")
        second = self.phone("uas_answer.xml", ports[1], "second")
        started = time.monotonic()
        caller = uac(self.cluster, "+15550100", calls=1, rate=1, hold_ms=0, name="caller")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(busy.count("busy"), 1)
        self.assertEqual(second.count("answered"), 1)
        self.assertLess(time.monotonic() - started, 10, "second phone waited for the ring timeout")

    def test_every_phone_fails_caller_gets_the_plans_final_response(self):
        ports = [free_port(), free_port()]
        self.start(receiving(ports, ring="in_order"))
        self.phone("uas_busy.xml", ports[0], "p0")
        self.phone("uas_busy.xml", ports[1], "p1")
        caller = uac(self.cluster, "+15550100", calls=2, rate=5, hold_ms=0, name="caller", scenario="uac_reject.xml")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.lines("final"), ["486", "486"])

    def test_early_media_never_disarms_the_ring_timer(self):
        port = free_port()
        self.start(receiving([port], ring_timeout_s=1))
        phone = self.phone("uas_early_media_forever.xml", port, "phone")
        started = time.monotonic()
        caller = uac(self.cluster, "+15550100", calls=1, rate=1, hold_ms=0, name="caller", scenario="uac_reject.xml")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.lines("final"), ["486"])
        self.assertEqual(phone.count_when("cancelled", 1), 1)
        self.assertLess(time.monotonic() - started, 8)

    def test_caller_cancel_while_forking_cancels_every_phone(self):
        ports = [free_port(), free_port()]
        self.start(receiving(ports))
        a = self.phone("uas_ring_forever.xml", ports[0], "a")
        b = self.phone("uas_trying_forever.xml", ports[1], "b")  # one 180 reaches the caller
        caller = uac(self.cluster, "+15550100", calls=1, rate=1, hold_ms=300, name="caller", scenario="uac_cancel.xml")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        wait_until(lambda: a.count("cancelled") == 1 and b.count("cancelled") == 1, 5, what="both CANCELled")

    def test_reinvite_mid_call_goes_through_the_record_route(self):
        port = free_port()
        self.start(receiving([port]))
        phone = self.phone("uas_reinvite.xml", port, "phone")
        caller = uac(self.cluster, "+15550100", calls=3, rate=5, hold_ms=0, name="caller", scenario="uac_reinvite.xml")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.count("reinvited"), 3)
        self.assertEqual(phone.count_when("reinvited", 3), 3)

    def test_invite_retransmitted_after_its_200_is_absorbed(self):
        # RFC 6026 7.1: an INVITE retransmission that crosses the 200 (the caller's retransmit
        # timer fired before it read the answer) meets the Accepted state: absorbed by sofia's
        # transaction layer, not answered, and never seen by the ingress as a merged request (482).
        port = free_port()
        self.start(receiving([port]))
        phone = self.phone("uas_answer.xml", port, "phone", extra=["-d", "3000"])
        caller = uac(self.cluster, "+15550100", calls=3, rate=5, hold_ms=0, name="caller",
                     scenario="uac_invite_retransmitted_after_200.xml")
        self.assertEqual(caller.wait(timeout=30), 0, caller.out_file)
        self.assertEqual(caller.count("retransmitted"), 3)
        self.assertEqual(caller.count("ended"), 3)
        self.assertEqual(phone.count_when("answered", 3), 3)  # one INVITE each reached the phone
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_blocked_requests_total", 'reason="loop"'), 0)

    def test_message_is_routed_like_a_call(self):
        port = free_port()
        self.start(receiving([port]))
        gateway = self.phone("uas_message.xml", port, "gateway")
        sender = uac(self.cluster, "+15550100", calls=3, rate=5, hold_ms=0, name="sender", scenario="uac_message.xml")
        self.assertEqual(sender.wait(timeout=20), 0, sender.out_file)
        self.assertEqual(sender.count("delivered"), 3)
        self.assertEqual(gateway.lines("text"), ["sip:+15557770000"] * 3)
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_calls_ended_total", 'reason="delivered"'), 3)
        self.assertEqual(self.cluster.redis("ZCARD", "cm:{+15550100}:slots"), "0")  # texts take no slot

    def test_call_time_limit_ends_the_call_with_bye_to_both_sides(self):
        # seed 000_246ae9c7ee9a1def.txt: after-hours maximum call duration. The schedule is open one
        # minute a week, so the call is (almost surely) after hours.
        port = free_port()
        routing = f"""locations:
  - {{id: hq, time_zone: UTC}}
schedules:
  - {{id: tiny, location: hq, hours: [{{days: sat, from: "00:00", to: "00:01"}}]}}
receiving_numbers:
  - number: "+15550190"
    uri: "sip:+15550190@127.0.0.1:{port}"
    tagging_hours: {{schedule: tiny, after_hours_max_duration_s: 1}}
tracking_numbers:
  - number: "+15550100"
    receiving_numbers: ["+15550190"]
"""
        self.start(routing)
        phone = self.phone("uas_answer.xml", port, "phone")
        started = time.monotonic()
        caller = uac(self.cluster, "+15550100", calls=1, rate=1, hold_ms=0, name="caller",
                     scenario="uac_callee_hangup.xml")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.count("hungup"), 1)  # the caller got the proxy's BYE
        wait_until(lambda: phone.count("bye") == 1, 5, what="the phone got the proxy's BYE too")
        self.assertGreaterEqual(time.monotonic() - started, 1.0)
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_calls_ended_total",
                                             'reason="max_duration"'), 1)

    def test_sigterm_drains_new_calls_get_503_live_calls_finish(self):
        port = free_port()
        self.start(receiving([port]), ingress_extra="  drain_timeout_s: 20\n")
        phone = self.phone("uas_answer.xml", port, "phone")
        live = uac(self.cluster, "+15550100", calls=1, rate=1, hold_ms=3000, name="live")
        wait_until(lambda: live.count("answered") == 1, 10, what="the live call connected")
        self.cluster.procs["ingress"].send_signal(signal.SIGTERM)
        wait_until(lambda: self._readyz() == 503, 5, what="/readyz fails while draining")
        late = uac(self.cluster, "+15550100", calls=1, rate=1, hold_ms=0, name="late", scenario="uac_reject.xml")
        self.assertEqual(late.wait(timeout=20), 0, late.out_file)
        self.assertEqual(late.lines("final"), ["503"])
        # The live call's BYE still goes through the draining ingress, which then exits cleanly.
        self.assertEqual(live.wait(timeout=20), 0, live.out_file)
        wait_until(lambda: phone.count("bye") == 1, 5, what="the phone got the caller's BYE")
        self.assertEqual(self.cluster.procs["ingress"].wait(timeout=10), 0)

    def _readyz(self):
        try:
            return self.cluster.http("ingress", "/readyz")[0]
        except urllib.error.HTTPError as e:  # 503 arrives as an exception
            return e.code
        except OSError:
            return None

    def test_untrusted_source_gets_403_and_nothing_is_routed(self):
        port = free_port()
        self.start(receiving([port]), ingress_extra='  trusted_sources: ["127.0.0.5/32"]\n  untrusted_action: reject\n')
        phone = self.phone("uas_answer.xml", port, "phone")
        caller = uac(self.cluster, "+15550100", calls=2, rate=5, hold_ms=0, name="caller", scenario="uac_reject.xml")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.lines("final"), ["403", "403"])
        self.assertEqual(phone.count("answered"), 0)
        # Both INVITEs and both ACKs of the (stateless) 403s are refused before any transaction.
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_blocked_requests_total",
                                             'reason="untrusted"'), 4)
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_calls_offered_total"), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
