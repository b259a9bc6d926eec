"""The router's rules end to end (issue 4): real SIP from SIPp through the ingress, real ZeroMQ,
the real router reading routing.yaml and Redis. Each phone is its own SIPp UAS on its own port,
so "which phone rang / answered" is read from that phone's own log. Every assertion is an exact
outcome: who answered, who was cancelled, the final code."""

import datetime
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import BUILD_DIR, Cluster, free_port, sum_samples, uac, uas, wait_until  # noqa: E402

CALLER = "+15557770000"  # the From user of every uac_*.xml scenario


def receiving(number, port, extra=""):
    return f'{{number: "{number}", uri: "sip:{number}@127.0.0.1:{port}"{extra}}}'


class RouterRulesTest(unittest.TestCase):
    """One cluster per test, started from the routing file the test writes."""

    def start(self, routing_yaml):
        self.cluster = Cluster(routing_yaml).start()
        self.addCleanup(self.cluster.cleanup)
        return self.cluster

    def phone(self, scenario, port, name):
        p = uas(self.cluster, scenario, port, name)
        self.addCleanup(p.stop)
        return p

    def call(self, dialed, name, scenario="uac_call.xml", hold_ms=200, extra=None, calls=1):
        return uac(self.cluster, dialed, calls=calls, rate=10, hold_ms=hold_ms, name=name,
                   scenario=scenario, extra=extra)

    def assert_answered_by(self, caller, phone, others=(), timeout=20):
        self.assertEqual(caller.wait(timeout=timeout), 0, "SIPp reports a failed call: " + caller.out_file)
        self.assertEqual(caller.count("answered"), 1, caller.out_file)
        self.assertEqual(phone.count_when("answered", 1), 1, phone.log_file)
        for other in others:
            self.assertEqual(other.count("answered"), 0, other.log_file)

    def decisions(self, rule, outcome="ring"):
        return self.cluster.metric("router", "callmesh_router_decisions_total",
                                   f'outcome="{outcome}",rule="{rule}"')


class ForwardingRules(RouterRulesTest):
    def test_forward_in_order_first_busy_second_answers(self):
        """seed 000_246ae9c7ee9a1def.txt: "Forward your tracking number directly to one or more
        receiving numbers", rung one after another: the first is busy, the second answers."""
        first, second = free_port(), free_port()
        self.start(f"""tracking_numbers:
  - number: "+15550100"
    ring: in_order
    ring_timeout_s: 10
    receiving_numbers:
      - {receiving("+15550201", first)}
      - {receiving("+15550202", second)}
""")
        busy = self.phone("uas_busy.xml", first, "first")
        answers = self.phone("uas_answer.xml", second, "second")
        caller = self.call("+15550100", "caller")
        self.assert_answered_by(caller, answers)
        self.assertEqual(busy.count("busy"), 1)  # rung first, and it was busy
        self.assertEqual(self.decisions("forward_in_order"), 1)

    def test_forward_in_order_first_answers_second_never_rings(self):
        """seed 000_246ae9c7ee9a1def.txt: several receiving numbers in order; when the first answers
        the second is never rung."""
        first, second = free_port(), free_port()
        self.start(f"""tracking_numbers:
  - number: "+15550100"
    ring: in_order
    receiving_numbers:
      - {receiving("+15550201", first)}
      - {receiving("+15550202", second)}
""")
        answers = self.phone("uas_answer.xml", first, "first")
        never = self.phone("uas_answer.xml", second, "second")
        caller = self.call("+15550100", "caller")
        self.assert_answered_by(caller, answers, others=[never])

    def test_schedule_closed_rings_the_closed_hours_destination_open_rings_the_number(self):
        """seed 000_246ae9c7ee9a1def.txt, "Scheduled Routing": outside the schedule's hours the call
        goes where the schedule says instead of ringing the receiving number. Clock-independent:
        `always_open` is open every minute of every day; `holiday_now` has the same hours but
        yesterday, today and tomorrow (UTC) are holidays, so it is closed whenever this runs."""
        today = datetime.datetime.now(datetime.timezone.utc).date()
        holidays = ", ".join(f'"{today + datetime.timedelta(days=d)}"' for d in (-1, 0, 1))
        office, open_phone, night = free_port(), free_port(), free_port()
        self.start(f"""locations:
  - {{id: utc, time_zone: UTC}}
schedules:
  - {{id: always_open, location: utc, hours: [{{days: daily, from: "00:00", to: "24:00"}}]}}
  - id: holiday_now
    location: utc
    hours: [{{days: daily, from: "00:00", to: "24:00"}}]
    holidays: [{holidays}]
receiving_numbers:
  - {receiving("+15550201", office, ', schedule: {id: holiday_now, when_closed: {number: "+15550203"}}')}
  - {receiving("+15550202", open_phone, ', schedule: {id: always_open, when_closed: {number: "+15550203"}}')}
  - {receiving("+15550203", night)}
tracking_numbers:
  - {{number: "+15550100", receiving_numbers: ["+15550201"]}}
  - {{number: "+15550300", receiving_numbers: ["+15550202"]}}
""")
        office_phone = self.phone("uas_answer.xml", office, "office")
        open_line = self.phone("uas_answer.xml", open_phone, "open")
        night_phone = self.phone("uas_answer.xml", night, "night")
        closed_call = self.call("+15550100", "closed_caller")
        self.assert_answered_by(closed_call, night_phone, others=[office_phone, open_line])
        open_call = self.call("+15550300", "open_caller")
        self.assertEqual(open_call.wait(timeout=20), 0, open_call.out_file)
        self.assertEqual(open_line.count("answered"), 1)
        self.assertEqual(night_phone.count("answered"), 1)  # still only the closed-hours call
        self.assertEqual(office_phone.count("answered"), 0)

    def test_no_answer_routing_rings_another_number_after_the_ring_timeout(self):
        """seed 000_246ae9c7ee9a1def.txt, "No-Answer Routing": the receiving number rings for its
        ring timeout (1 s here), is cancelled, and the call goes to the no-answer number."""
        slow, backup = free_port(), free_port()
        self.start(f"""receiving_numbers:
  - {receiving("+15550201", slow, ', ring_timeout_s: 1, no_answer: {number: "+15550202"}')}
  - {receiving("+15550202", backup)}
tracking_numbers:
  - {{number: "+15550100", receiving_numbers: ["+15550201"]}}
""")
        ringing = self.phone("uas_ring_forever.xml", slow, "slow")
        answers = self.phone("uas_answer.xml", backup, "backup")
        caller = self.call("+15550100", "caller")
        self.assert_answered_by(caller, answers)
        self.assertEqual(ringing.count("cancelled"), 1)  # CANCELled at the ring timeout

    def test_no_answer_everywhere_gives_the_plans_final_busy(self):
        """seed 000_246ae9c7ee9a1def.txt: no-answer routing defaults to "Hangup / Busy signal": after
        the chain the caller hears 486."""
        slow, backup = free_port(), free_port()
        self.start(f"""receiving_numbers:
  - {receiving("+15550201", slow, ', ring_timeout_s: 1, no_answer: {number: "+15550202"}')}
  - {receiving("+15550202", backup, ', ring_timeout_s: 1')}
tracking_numbers:
  - {{number: "+15550100", receiving_numbers: ["+15550201"]}}
""")
        first = self.phone("uas_ring_forever.xml", slow, "slow")
        second = self.phone("uas_busy.xml", backup, "backup")
        caller = self.call("+15550100", "caller", scenario="uac_reject.xml")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.lines("final"), ["486"])
        self.assertEqual(first.count("cancelled"), 1)
        self.assertEqual(second.count("busy"), 1)

    def test_geo_router_rings_the_number_for_the_callers_zip(self):
        """seed 000_246ae9c7ee9a1def.txt: "Assign receiving numbers to one or more zip codes within
        a geo router". The gateway's X-Caller-Zip reaches the router through the ingress."""
        ny, sf, other = free_port(), free_port(), free_port()
        self.start(f"""receiving_numbers:
  - {receiving("+15550201", ny)}
  - {receiving("+15550202", sf)}
  - {receiving("+15550203", other)}
geo_routers:
  - id: by_zip
    routes:
      - {{zips: ["10001", "10002"], number: "+15550201"}}
      - {{zips: ["94105"], number: "+15550202"}}
    default: {{number: "+15550203"}}
tracking_numbers:
  - {{number: "+15550100", route: {{geo_router: by_zip}}}}
""")
        ny_phone = self.phone("uas_answer.xml", ny, "ny")
        sf_phone = self.phone("uas_answer.xml", sf, "sf")
        other_phone = self.phone("uas_answer.xml", other, "other")
        caller = self.call("+15550100", "ny_caller", scenario="uac_call_zip.xml", extra=["-key", "zip", "10001"])
        self.assert_answered_by(caller, ny_phone, others=[sf_phone, other_phone])
        caller = self.call("+15550100", "sf_caller", scenario="uac_call_zip.xml",
                           extra=["-key", "zip", "94105-1234"])  # ZIP+4
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(sf_phone.count("answered"), 1)
        caller = self.call("+15550100", "nozip_caller")  # no X-Caller-Zip, area code not listed
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(other_phone.count("answered"), 1)
        self.assertEqual(ny_phone.count("answered"), 1)
        self.assertEqual(self.decisions("route_geo_router"), 3)


class CompanyNumberRules(RouterRulesTest):
    def company(self, ports):
        agents = "".join(f'  - {{id: {name}, uri: "sip:{name}@127.0.0.1:{port}"}}\n' for name, port in ports.items())
        return f"""locations:
  - {{id: utc, time_zone: UTC}}
agents:
{agents}company_numbers:
  - number: "+15550500"
    location: utc
    ring_timeout_s: 10
    unknown_callers:
      default: {{blast: [{", ".join(ports)}]}}
"""

    def test_blast_first_answer_wins_others_cancelled_busy_and_away_agents_skipped(self):
        """seed 004_ee4e98a6a7f6781b.txt, "Blast Alert": an unknown caller rings the selected agents
        at once, first to answer gets the call; "skip busy, unavailable" agents. Presence is set in
        Redis (docs/redis-keys.md) just before the call: the router reads it per decision."""
        ports = {name: free_port() for name in ["alice", "bob", "carol", "dave"]}
        self.start(self.company(ports))
        alice = self.phone("uas_answer.xml", ports["alice"], "alice")
        bob = self.phone("uas_ring_forever.xml", ports["bob"], "bob")
        carol = self.phone("uas_answer.xml", ports["carol"], "carol")
        dave = self.phone("uas_answer.xml", ports["dave"], "dave")
        self.cluster.redis("HSET", "cm:agent:{carol}", "availability", "away")
        self.cluster.redis("HSET", "cm:agent:{dave}", "on_call", "1")
        caller = self.call("+15550500", "caller")
        self.assert_answered_by(caller, alice, others=[carol, dave])
        wait_until(lambda: bob.count("cancelled") == 1, 5, what="bob's ringing phone got CANCEL")
        self.assertEqual(self.decisions("company_default_rule"), 1)
        self.assertEqual(self.cluster.metric("router", "callmesh_router_directory_errors_total",
                                             'directory="presence",reason="unreachable"'), 0)

    def test_blast_with_every_agent_away_gives_480(self):
        """seed 004_ee4e98a6a7f6781b.txt: a blast rings only available agents; with none, the
        caller gets 480 Temporarily Unavailable and no phone rings."""
        ports = {name: free_port() for name in ["alice", "bob"]}
        self.start(self.company(ports))
        alice = self.phone("uas_answer.xml", ports["alice"], "alice")
        bob = self.phone("uas_answer.xml", ports["bob"], "bob")
        self.cluster.redis("HSET", "cm:agent:{alice}", "availability", "dnd")
        self.cluster.redis("HSET", "cm:agent:{bob}", "availability", "offline")
        caller = self.call("+15550500", "caller", scenario="uac_reject.xml")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.lines("final"), ["480"])
        self.assertEqual(alice.count("answered") + bob.count("answered"), 0)

    def test_known_caller_rings_the_primary_agent_of_the_newest_contact(self):
        """seed 004_ee4e98a6a7f6781b.txt: "existing contact -> primary agent"; duplicate contacts
        with different agents -> the owner of the most recently created one. Contacts are read
        from Redis (cm:contacts:number:{e164}, cm:contact:{id})."""
        ports = {name: free_port() for name in ["alice", "bob", "carol"]}
        self.start(self.company(ports))
        phones = {name: self.phone("uas_answer.xml", port, name) for name, port in ports.items()}
        r = self.cluster.redis
        r("HSET", "cm:contact:{c1}", "id", "c1", "numbers", CALLER, "primary_agent", "bob", "created_at_ms", "1000")
        r("HSET", "cm:contact:{c2}", "id", "c2", "numbers", CALLER, "primary_agent", "carol", "created_at_ms", "2000")
        r("SADD", "cm:contacts:number:{" + CALLER + "}", "c1", "c2")
        caller = self.call("+15550500", "caller")
        self.assert_answered_by(caller, phones["carol"], others=[phones["alice"], phones["bob"]])
        self.assertEqual(self.decisions("company_contact"), 1)

    def test_explain_with_redis_shows_the_decision_the_router_makes(self):
        """services/router/README.md, "Explaining a decision offline": callmesh-explain --redis reads
        presence and contacts from the cluster's Redis as the router does, so its plan for a call
        is the plan the cluster then rings (seed 004_ee4e98a6a7f6781b.txt blast, away agent
        skipped)."""
        ports = {name: free_port() for name in ["alice", "bob"]}
        self.start(self.company(ports))
        alice = self.phone("uas_answer.xml", ports["alice"], "alice")
        bob = self.phone("uas_answer.xml", ports["bob"], "bob")
        self.cluster.redis("HSET", "cm:agent:{bob}", "availability", "away")
        explain = os.path.join(BUILD_DIR, "services", "router", "callmesh-explain")
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        out = subprocess.run([explain, os.path.join(self.cluster.dir, "routing.yaml"), "--dialed", "+15550500",
                              "--caller", CALLER, "--at", now, "--redis", f"127.0.0.1:{self.cluster.ports['redis']}"],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(f"sip:alice@127.0.0.1:{ports['alice']}  agent=alice", out.stdout)
        self.assertNotIn("agent=bob", out.stdout)
        self.assertIn("blast: skip agent bob is unavailable", out.stdout)
        caller = self.call("+15550500", "caller")
        self.assert_answered_by(caller, alice, others=[bob])

    def test_redis_down_fails_open_the_blast_still_rings(self):
        """agent_availability.h / contact_directory.h: with Redis unreachable the router counts
        every agent available and the caller unknown, and says so in a metric."""
        ports = {name: free_port() for name in ["alice"]}
        self.start(self.company(ports))
        alice = self.phone("uas_answer.xml", ports["alice"], "alice")
        self.cluster.redis("HSET", "cm:agent:{alice}", "availability", "away")
        self.cluster.stop_service("redis", signal.SIGKILL)
        # Without Redis the limiter fails closed, so the caller gets 503 whatever the router says.
        # The router is asked in parallel and still decides, failing open; its metrics show it.
        caller = self.call("+15550500", "caller", scenario="uac_reject.xml")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.lines("final"), ["503"])
        wait_until(lambda: self.decisions("company_default_rule") >= 1, 5, what="the router decided")
        self.assertGreaterEqual(self.cluster.metric("router", "callmesh_router_directory_errors_total",
                                                    'directory="contacts",reason="unreachable"'), 1)
        self.assertGreaterEqual(self.cluster.metric("router", "callmesh_router_directory_errors_total",
                                                    'directory="presence",reason="unreachable"'), 1)
        self.assertEqual(alice.count("answered"), 0)


class LoopRules(RouterRulesTest):
    def test_call_forwarded_from_our_own_number_is_rejected_482(self):
        """seed 003_7e7aa9d90d570bcd.txt: the published line forwards to the platform; a call that
        already passed through the number it dials (Diversion from +15550100) is a loop and gets
        482 Loop Detected instead of ringing forever."""
        phone_port = free_port()
        self.start(f"""tracking_numbers:
  - number: "+15550100"
    receiving_numbers: [{receiving("+15550201", phone_port)}]
""")
        phone = self.phone("uas_answer.xml", phone_port, "phone")
        caller = self.call("+15550100", "caller", scenario="uac_reject_diverted.xml",
                           extra=["-key", "diverted_from", "+15550100"])
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.lines("final"), ["482"])
        self.assertEqual(phone.count("answered"), 0)
        self.assertEqual(self.decisions("loop_detected", "reject"), 1)

    def test_two_numbers_forwarding_to_each_other_through_us_do_not_ring_forever(self):
        """seed 003_7e7aa9d90d570bcd.txt: "ringing the published line again would loop forever".
        +15550100 forwards to a line that reaches +15550300 through us, which would forward back
        to +15550100 through us. Every ring timeout is 60 s, yet the caller gets the plan's final
        486 at once: the call comes back to the ingress with the same Call-ID and the loop is cut
        there (482 on the looping leg; the router's own path check, 482 above, covers loops that
        come back with a new Call-ID and the path in X-Callmesh-Path or Diversion)."""
        self.cluster = Cluster("tracking_numbers: []\n")  # the SIP port is known only now
        self.addCleanup(self.cluster.cleanup)
        sip = self.cluster.ports["sip"]
        with open(os.path.join(self.cluster.dir, "routing.yaml"), "w") as f:
            f.write(f"""tracking_numbers:
  - number: "+15550100"
    ring_timeout_s: 60
    receiving_numbers: [{{number: "+15550201", uri: "sip:+15550300@127.0.0.1:{sip}"}}]
  - number: "+15550300"
    ring_timeout_s: 60
    receiving_numbers: [{{number: "+15550202", uri: "sip:+15550100@127.0.0.1:{sip}"}}]
""")
        self.cluster.start()
        caller = self.call("+15550100", "caller", scenario="uac_reject.xml")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.lines("final"), ["486"])
        self.assertGreaterEqual(self.decisions("direct_forward"), 1)

    def test_router_refuses_a_routing_file_that_loops_with_file_line_errors(self):
        """seed 003_7e7aa9d90d570bcd.txt: forwarding to our own number, or a no-answer chain that
        comes back on itself, is refused at load: `callmesh-router --check` exits non-zero and
        names file:line: key."""
        with tempfile.TemporaryDirectory(prefix="callmesh-loop-") as d:
            with open(os.path.join(d, "routing.yaml"), "w") as f:
                f.write("""pstn_gateway: "gw.example.internal:5060"
tracking_numbers:
  - number: "+15550100"
    receiving_numbers: ["+15550300"]
  - number: "+15550300"
    receiving_numbers: ["+15550201"]
receiving_numbers:
  - {number: "+15550201", no_answer: {number: "+15550202"}}
  - {number: "+15550202", no_answer: {number: "+15550201"}}
""")
            cfg = os.path.join(d, "cluster.yaml")
            with open(cfg, "w") as f:
                f.write("router:\n  bind: tcp://127.0.0.1:1\n  admin: 127.0.0.1:1\n  routing_file: routing.yaml\n")
            router = os.path.join(BUILD_DIR, "services", "router", "callmesh-router")
            out = subprocess.run([router, "--config", cfg, "--check"], capture_output=True, text=True, timeout=10)
            routing = os.path.join(d, "routing.yaml")
            self.assertNotEqual(out.returncode, 0)
            self.assertIn(f"{routing}:4: tracking_numbers[0].receiving_numbers[0]: +15550300 is our own tracking "
                          "number; ringing it would loop the call back here (seed 003)", out.stderr)
            self.assertRegex(out.stderr, re.escape(routing) + r":\d+: receiving_numbers\[\d\]\.no_answer: routing "
                             r"loops back on itself: receiving number \+1555020[12] -> receiving number "
                             r"\+1555020[12] -> receiving number \+1555020[12] \(seed 003\)")


class ConfigReload(RouterRulesTest):
    def routing(self, port, number="+15550201"):
        return f"""tracking_numbers:
  - number: "+15550100"
    receiving_numbers: [{receiving(number, port)}]
"""

    def replace_routing(self, text):
        """Writes the new file beside the old one and renames it over: readers never see half."""
        path = os.path.join(self.cluster.dir, "routing.yaml")
        with open(path + ".new", "w") as f:
            f.write(text)
        os.replace(path + ".new", path)

    def test_sighup_reloads_without_dropping_calls_and_a_broken_file_keeps_the_old_config(self):
        """README "Configuration": routing.yaml is reloaded on SIGHUP or change; a file that fails
        to load leaves the running one in place and logs config_reload_rejected. A call connected
        before the reload is not dropped (the router holds no call state)."""
        old_port, new_port = free_port(), free_port()
        self.start(self.routing(old_port))
        old_phone = self.phone("uas_answer.xml", old_port, "old")
        new_phone = self.phone("uas_answer.xml", new_port, "new")
        long_call = self.call("+15550100", "long_caller", hold_ms=3000)
        wait_until(lambda: long_call.count("answered") == 1, 10, what="the long call connected")

        self.replace_routing(self.routing(new_port, "+15550202"))
        self.cluster.procs["router"].send_signal(signal.SIGHUP)
        wait_until(lambda: "config_reloaded" in self.cluster.log("router"), 5, what="config_reloaded")
        caller = self.call("+15550100", "after_reload")
        self.assert_answered_by(caller, new_phone)
        self.assertEqual(long_call.wait(timeout=20), 0, "the call connected before the reload dropped")
        self.assertEqual(old_phone.count("answered"), 1)  # only the long call

        self.replace_routing("tracking_numbers:\n  - number: \"call me\"\n")
        self.cluster.procs["router"].send_signal(signal.SIGHUP)
        wait_until(lambda: "config_reload_rejected" in self.cluster.log("router"), 5,
                   what="config_reload_rejected")
        self.assertIn("'call me' is not a phone number", self.cluster.log("router"))
        caller = self.call("+15550100", "after_rejected")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(new_phone.count("answered"), 2)  # the previous config still routes
        self.assertEqual(self.cluster.metric("router", "callmesh_router_config_reloads_total", 'result="rejected"'), 1)
        self.assertEqual(self.cluster.procs["router"].poll(), None)

    def routes(self, source):
        """Calls the ingress routed with a decision from `source` (router / reused), every rule."""
        _, body = self.cluster.http("ingress", "/metrics")
        return sum_samples(body, "callmesh_ingress_route_decisions_total", f'source="{source}"')

    def test_a_number_routed_by_the_number_alone_is_decided_once_and_a_reload_reaches_the_next_call(self):
        """README "Decision reuse": a tracking number that forwards to one receiving number without
        schedule depends on nothing but the number, so the ingress keeps the router's decision for
        the number and gives it to the next calls. A reload announces a new config epoch at once:
        the first call after it is decided by the router again, under the new file."""
        old_port, new_port = free_port(), free_port()
        self.start(self.routing(old_port))
        old_phone = self.phone("uas_answer.xml", old_port, "old")
        new_phone = self.phone("uas_answer.xml", new_port, "new")
        # The ingress keeps decisions only once it has heard the router's epoch (announced every
        # second): call until one call is served by a kept decision, boundedly.
        for i in range(8):
            caller = self.call("+15550100", f"before_{i}")
            self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
            if self.routes("reused") >= 1:
                break
        made = i + 1
        self.assertEqual(self.routes("reused"), 1, "no call was given a kept decision")
        self.assertEqual(self.routes("router"), made - 1)
        self.assertEqual(self.decisions("direct_forward"), made - 1)  # the router saw only those
        self.assertEqual(old_phone.count("answered"), made)

        self.replace_routing(self.routing(new_port, "+15550202"))
        self.cluster.procs["router"].send_signal(signal.SIGHUP)
        wait_until(lambda: "config_reloaded" in self.cluster.log("router"), 5, what="config_reloaded")
        caller = self.call("+15550100", "after_reload")
        self.assert_answered_by(caller, new_phone)
        self.assertEqual(self.routes("router"), made)  # asked again: the kept decision was dropped
        self.assertEqual(old_phone.count("answered"), made)
        caller = self.call("+15550100", "after_reload_again")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(new_phone.count("answered"), 2)
        self.assertEqual(self.routes("reused"), 2)  # the new decision is kept in turn

    def test_a_changed_file_is_picked_up_without_a_signal(self):
        """README "Configuration": the router also notices the file changed (it stats the path,
        through symlinks such as a Kubernetes ConfigMap's ..data) every 250 ms."""
        old_port, new_port = free_port(), free_port()
        self.start(self.routing(old_port))
        new_phone = self.phone("uas_answer.xml", new_port, "new")
        self.replace_routing(self.routing(new_port, "+15550202"))
        wait_until(lambda: "config_reloaded" in self.cluster.log("router"), 5, what="config_reloaded")
        caller = self.call("+15550100", "caller")
        self.assert_answered_by(caller, new_phone)


if __name__ == "__main__":
    unittest.main(verbosity=2)
