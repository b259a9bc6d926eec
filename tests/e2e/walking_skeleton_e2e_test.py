"""End to end through the whole cluster (issue 2): real SIP from SIPp, real ZeroMQ between the
five services, real Redis. Every assertion is an exact outcome."""

import json
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, free_port, uac, uas, wait_until  # noqa: E402

SLOTS_KEY = "cm:{+15550100}:slots"


def routing(uas_port):
    return f"""tracking_numbers:
  - number: "+15550100"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{uas_port}"
"""


class WalkingSkeleton(unittest.TestCase):
    def setUp(self):
        self.uas_port = free_port()
        self.cluster = Cluster(routing(self.uas_port)).start()
        self.addCleanup(self.cluster.cleanup)

    def phone(self, scenario="uas_answer.xml"):
        p = uas(self.cluster, scenario, self.uas_port, "phone")
        self.addCleanup(p.stop)
        return p

    def test_two_hundred_calls_are_all_answered(self):
        phone = self.phone()
        caller = uac(self.cluster, "+15550100", calls=200, rate=50, hold_ms=200, name="caller")
        self.assertEqual(caller.wait(timeout=60), 0, "SIPp reports failed calls: " + caller.out_file)
        if caller.count("answered") != 200:  # say where the others went (once 196 of 200)
            c = self.cluster
            errors = open(caller.err_file).read() if os.path.exists(caller.err_file) else ""
            self.fail(f"{caller.count('answered')} answered, {caller.count('busy')} busy; "
                      f"{c.metric_lines('ingress', 'callmesh_ingress_calls_rejected_total')}; "
                      f"{c.metric_lines('concurrency-limiter', 'callmesh_concurrency_limiter_rejected')}; "
                      f"{c.metric_lines('concurrency-limiter', 'callmesh_concurrency_limiter_redis_errors')}; "
                      f"SIPp errors: {errors[-3000:]}")
        self.assertEqual(phone.count_when("answered", 200), 200)
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_calls_answered_total"), 200)
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_calls_ended_total", 'reason="caller_hangup"'), 200)
        wait_until(lambda: self.cluster.redis("ZCARD", SLOTS_KEY) == "0", 5, what="slots released")
        # Every call reached presence (answered and ended) and none became a missed call.
        wait_until(lambda: self.cluster.metric("agent-presence", "callmesh_agent_presence_call_events_total",
                                               'kind="ended"') == 200, 5, what="presence got 200 ends")
        self.assertEqual(self.cluster.redis("SCARD", "cm:number:{+15550100}:oncall"), "0")
        self.assertEqual(self.cluster.unclaimed_count(), "0")

    def test_sixty_simultaneous_long_calls_fifty_connect_ten_get_486(self):
        # seed 004_ee4e98a6a7f6781b.txt: at most 50 simultaneous calls per company number.
        phone = self.phone()
        caller = uac(self.cluster, "+15550100", calls=60, rate=200, hold_ms=4000, name="caller")
        wait_until(lambda: caller.count("answered") + caller.count("busy") == 60, 20, what="60 outcomes")
        self.assertEqual(self.cluster.redis("ZCARD", SLOTS_KEY), "50")  # live while the calls last
        self.assertEqual(caller.wait(timeout=30), 0)
        self.assertEqual(caller.count("answered"), 50)
        self.assertEqual(caller.count("busy"), 10)
        self.assertEqual(phone.count_when("answered", 50), 50)
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_cap_rejections_total"), 10)
        self.assertEqual(self.cluster.metric("concurrency-limiter", "callmesh_concurrency_limiter_rejected_total",
                                             'number="other"'), 10)
        wait_until(lambda: self.cluster.redis("ZCARD", SLOTS_KEY) == "0", 5, what="live count back to 0")

    def test_back_to_back_calls_at_a_cap_of_one_each_get_the_slot_the_last_one_freed(self):
        # seed 004_ee4e98a6a7f6781b.txt: the cap counts live calls only. With a cap of 1 and one
        # call at a time, each INVITE arrives a fraction of a millisecond after the previous call's
        # BYE: its acquire must meet that slot already freed (the release goes out with it or
        # ahead of it, on the same connection), never a 486.
        cluster = Cluster(routing(self.uas_port), cap=1).start()
        self.addCleanup(cluster.cleanup)
        phone = self.phone()
        caller = uac(cluster, "+15550100", calls=300, rate=1000, hold_ms=0, name="caller", extra=["-l", "1"])
        self.assertEqual(caller.wait(timeout=60), 0, "SIPp reports failed calls: " + caller.out_file)
        self.assertEqual(caller.count("answered"), 300)
        self.assertEqual(caller.count("busy"), 0)
        self.assertEqual(phone.count_when("answered", 300), 300)
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_cap_rejections_total"), 0)
        wait_until(lambda: cluster.redis("ZCARD", SLOTS_KEY) == "0", 5, what="the last slot released")

    def test_a_call_over_the_cap_waits_for_the_slot_a_hangup_frees_and_hears_busy_if_none_is(self):
        # seed 004_ee4e98a6a7f6781b.txt: at most N calls up at once (here N = 1). A call that
        # meets the cap waits up to ingress.cap_wait_ms (200 ms from its INVITE) for a slot a call
        # of this ingress frees: the first call hangs up after 100 ms, so the second (offered
        # 0-100 ms after it) rings; held 2 s, nothing is freed in time and the second hears busy.
        cluster = Cluster(routing(self.uas_port), cap=1).start()
        self.addCleanup(cluster.cleanup)
        phone = self.phone()
        caller = uac(cluster, "+15550100", calls=2, rate=10, hold_ms=100, name="freed")
        self.assertEqual(caller.wait(timeout=20), 0, "SIPp reports failed calls: " + caller.out_file)
        self.assertEqual(caller.count("answered"), 2)
        self.assertEqual(phone.count_when("answered", 2), 2)
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_cap_waits_total", 'outcome="admitted"'), 1)
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_cap_rejections_total"), 0)
        # The limiter refused once, then granted the freed slot: never two calls up.
        self.assertEqual(cluster.metric("concurrency-limiter", "callmesh_concurrency_limiter_rejected_total",
                                        'number="other"'), 1)
        wait_until(lambda: cluster.redis("ZCARD", SLOTS_KEY) == "0", 5, what="both slots released")

        held = uac(cluster, "+15550100", calls=2, rate=10, hold_ms=2000, name="held")
        self.assertEqual(held.wait(timeout=20), 0, "SIPp reports failed calls: " + held.out_file)
        self.assertEqual(held.count("answered"), 1)
        self.assertEqual(held.count("busy"), 1)
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_cap_waits_total", 'outcome="busy"'), 1)
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_cap_rejections_total"), 1)
        over = [json.loads(line) for line in cluster.log("ingress").splitlines() if '"call_over_cap"' in line]
        self.assertEqual(len(over), 1)
        self.assertGreaterEqual(over[0]["waited_ms"], 200)
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_cap_waiting"), 0)

    def test_unknown_number_is_rejected_404_and_holds_no_slot(self):
        caller = uac(self.cluster, "+15550999", calls=3, rate=10, hold_ms=0, name="caller",
                     scenario="uac_reject.xml")
        self.assertEqual(caller.wait(timeout=20), 0)
        self.assertEqual(caller.lines("final"), ["404"] * 3)
        wait_until(lambda: self.cluster.redis("ZCARD", "cm:{+15550999}:slots") == "0", 5, what="no slot held")

    def test_busy_phone_gives_486_and_one_call_record_per_call_and_no_follow_up(self):
        # Issue 20: one call detail record per call. A plain tracking number's rule asks for no
        # follow-up (seed 004_ee4e98a6a7f6781b.txt: follow-up is a company number's), so no
        # `missed_call` record is left that no agent could claim.
        phone = self.phone("uas_busy.xml")
        caller = uac(self.cluster, "+15550100", calls=5, rate=10, hold_ms=0, name="caller",
                     scenario="uac_reject.xml")
        self.assertEqual(caller.wait(timeout=20), 0)
        self.assertEqual(caller.lines("final"), ["486"] * 5)
        self.assertEqual(phone.count_when("busy", 5), 5)
        wait_until(lambda: self.cluster.redis("ZCARD", "cm:{cdr}:outcome:busy") == "5", 5,
                   what="5 busy call records")
        self.assertEqual(self.cluster.redis("XLEN", "cm:{cdr}:stream"), "5")
        self.assertEqual(self.cluster.unclaimed_count(), "0")
        self.assertEqual(self.cluster.redis("KEYS", "cm:notif:{*"), "")
        self.assertEqual(self.cluster.redis("ZCARD", SLOTS_KEY), "0")

    def test_notification_restart_loses_no_call_record(self):
        # Call events are acknowledged: while notification is down the ingress keeps them and
        # re-sends; after it restarts every call has exactly one record (issue 20).
        phone = self.phone("uas_busy.xml")
        self.cluster.stop_service("notification", signal.SIGKILL)
        caller = uac(self.cluster, "+15550100", calls=10, rate=20, hold_ms=0, name="caller",
                     scenario="uac_reject.xml")
        self.assertEqual(caller.wait(timeout=20), 0)
        self.assertEqual(caller.lines("final"), ["486"] * 10)
        self.assertGreater(self.cluster.metric("ingress", "callmesh_ingress_events_pending"), 0)
        self.cluster.start_service("notification")
        wait_until(lambda: self.cluster.redis("XLEN", "cm:{cdr}:stream") == "10", 15,
                   what="10 call records after the restart")
        wait_until(lambda: self.cluster.metric("ingress", "callmesh_ingress_events_pending") == 0, 10,
                   what="every event acknowledged")
        self.assertEqual(self.cluster.redis("XLEN", "cm:{cdr}:stream"), "10")
        self.assertEqual(self.cluster.redis("ZCARD", "cm:{cdr}:outcome:busy"), "10")
        self.assertEqual(phone.count_when("busy", 10), 10)

    def test_caller_cancel_while_ringing_cancels_the_phone_and_frees_the_slot(self):
        phone = self.phone("uas_ring_forever.xml")
        caller = uac(self.cluster, "+15550100", calls=5, rate=10, hold_ms=300, name="caller",
                     scenario="uac_cancel.xml")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.count("cancelled"), 5)
        wait_until(lambda: phone.count("cancelled") == 5, 5, what="the phone got 5 CANCELs")
        wait_until(lambda: self.cluster.redis("ZCARD", SLOTS_KEY) == "0", 5, what="slots released")
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_calls_ended_total", 'reason="caller_cancel"'), 5)

    def test_callee_bye_goes_through_the_route_and_frees_the_slot(self):
        phone = uas(self.cluster, "uas_answer_then_bye.xml", self.uas_port, "phone", extra=["-d", "200"])
        self.addCleanup(phone.stop)
        caller = uac(self.cluster, "+15550100", calls=5, rate=10, hold_ms=0, name="caller",
                     scenario="uac_callee_hangup.xml")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.count("hungup"), 5)
        wait_until(lambda: phone.count("hungup") == 5, 5, what="the phone got 5 200s to its BYEs")
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_calls_ended_total", 'reason="callee_hangup"'), 5)
        wait_until(lambda: self.cluster.redis("ZCARD", SLOTS_KEY) == "0", 5, what="slots released")

    def test_ring_timeout_cancels_the_phone_answers_busy_and_records_the_call(self):
        # seed 000_246ae9c7ee9a1def.txt: no answer within the ring timeout -> hangup (no fallback set).
        self.cluster.cleanup()
        self.cluster = Cluster(routing(self.uas_port).replace(
            '  - number: "+15550100"\n', '  - number: "+15550100"\n    ring_timeout_s: 1\n')).start()
        self.addCleanup(self.cluster.cleanup)
        phone = self.phone("uas_ring_forever.xml")
        caller = uac(self.cluster, "+15550100", calls=2, rate=10, hold_ms=0, name="caller",
                     scenario="uac_reject.xml")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.lines("final"), ["486", "486"])  # seed 000 default: hangup/busy
        self.assertEqual(phone.count_when("cancelled", 2), 2)
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_calls_ended_total", 'reason="no_answer"'), 2)
        wait_until(lambda: self.cluster.redis("ZCARD", "cm:{cdr}:outcome:no_answer") == "2", 5,
                   what="2 unanswered call records")
        self.assertEqual(self.cluster.unclaimed_count(), "0")
        wait_until(lambda: self.cluster.redis("ZCARD", SLOTS_KEY) == "0", 5, what="slots released")

    def test_router_down_fails_closed_with_503_and_releases_the_slot(self):
        self.cluster.stop_service("router")
        caller = uac(self.cluster, "+15550100", calls=1, rate=1, hold_ms=0, name="caller", scenario="uac_reject.xml")
        self.assertEqual(caller.wait(timeout=20), 0)
        self.assertEqual(caller.lines("final"), ["503"])
        wait_until(lambda: self.cluster.redis("ZCARD", SLOTS_KEY) == "0", 5, what="slot released")

    def test_calls_over_tcp(self):
        phone = self.phone()
        caller = uac(self.cluster, "+15550100", calls=20, rate=20, hold_ms=100, name="caller", transport="t1")
        self.assertEqual(caller.wait(timeout=30), 0, caller.out_file)
        self.assertEqual(caller.count("answered"), 20)
        self.assertEqual(phone.count_when("answered", 20), 20)

    def test_every_service_serves_metrics_and_health_and_stops_cleanly_on_sigterm(self):
        for svc in ["ingress", "router", "concurrency-limiter", "agent-presence", "notification"]:
            status, body = self.cluster.http(svc, "/metrics")
            self.assertEqual(status, 200)
            self.assertIn("callmesh_", body, svc)
            self.assertEqual(self.cluster.http(svc, "/readyz")[0], 200, svc)
        for svc in ["ingress", "router", "concurrency-limiter", "agent-presence", "notification"]:
            self.assertEqual(self.cluster.stop_service(svc, signal.SIGTERM, timeout=10), 0, svc)


if __name__ == "__main__":
    unittest.main(verbosity=2)
