"""A real Prometheus scrapes a real callmesh cluster (issue 7).

The cluster (tests/e2e/cluster.py: Redis and the five services as processes on free ports) is
scraped every second by Debian's Prometheus, configured from tools/monitoring/prometheus.yml (the
Kubernetes relabelling included, see promql.py) and evaluating tools/monitoring/alerts.yml. The
tests place calls with SIPp and read them back through Prometheus's HTTP API with PromQL: exact
counts, per number, per rule, per outcome; the claim of a missed call and its time to claim; then
they check that every metric the alert rules and the Grafana dashboard use is on a live /metrics
page, and that alerts go pending when a number nears its cap and when a service goes down.

The test methods share one cluster and run in name order (test_1_..., test_2_...)."""

import json
import os
import signal
import sys
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import promql  # noqa: E402
from cluster import SERVICES, Cluster, free_port, token_hash, uac, uas, wait_until  # noqa: E402

TRACKING = "+15550100"   # forwarded to one receiving number; its own cap of 10
COMPANY = "+15550200"    # blast to two agents; unanswered -> one missed-call record
CAP = 10
TOKENS = {"alice": "alice-token-mon", "bob": "bob-token-mon"}
N_CALLS = 20


def routing(phone_port, alice_port, bob_port):
    return f"""tracking_numbers:
  - number: "{TRACKING}"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{phone_port}"
locations:
  - {{id: hq, time_zone: UTC}}
agents:
  - {{id: alice, number: "+15550301", uri: "sip:alice@127.0.0.1:{alice_port}", location: hq}}
  - {{id: bob, number: "+15550302", uri: "sip:bob@127.0.0.1:{bob_port}", location: hq}}
company_numbers:
  - number: "{COMPANY}"
    location: hq
    ring_timeout_s: 5
    unknown_callers:
      default: {{blast: [alice, bob]}}
"""


def api_call(port, method, path, who, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    req.add_header("Authorization", "Bearer " + TOKENS[who])
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read().decode() or "null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode() or "null")


class PrometheusE2E(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.phone_port, cls.alice_port, cls.bob_port = free_port(), free_port(), free_port()
        # One gateway set (nobody answers its probes), so the gateway series the alert rules
        # select exist: they are made per configured set and gateway, never from traffic.
        gateway_set = (f'  gateway_sets:\n    carriers:\n      - {{uri: "sip:127.0.0.1:{free_port()}", name: gw0}}\n')
        cls.cluster = Cluster(routing(cls.phone_port, cls.alice_port, cls.bob_port),
                              extra_caps={TRACKING: CAP}, ingress_extra=gateway_set)
        cls.api_port = free_port()
        with open(cls.cluster.config, "a") as f:   # notification: is the last section
            f.write(f"""  api: 127.0.0.1:{cls.api_port}
  tokens:
    "{token_hash(TOKENS['alice'])}": {{agent_id: alice}}
    "{token_hash(TOKENS['bob'])}": {{agent_id: bob}}
""")
        try:
            cls.cluster.start()
            targets = [(svc, "0", cls.cluster.admin_port(svc)) for svc in SERVICES]
            workdir = os.path.join(cls.cluster.dir, "prometheus")  # removed with the cluster's
            os.makedirs(workdir)
            cls.prom = promql.Prometheus(targets, workdir=workdir).start()
        except Exception:
            cls.cluster.cleanup()
            raise
        cls.sipps = []

    @classmethod
    def tearDownClass(cls):
        for s in cls.sipps:
            s.stop()
        cls.prom.stop()
        cls.cluster.cleanup()

    def sipp(self, s):
        self.sipps.append(s)
        return s

    def wait_value(self, expr, expected, timeout=15):
        wait_until(lambda: self.prom.value(expr) == expected, timeout, 0.25,
                   what=f"{expr} == {expected} (last: {self.prom.value(expr)})")

    # ------------------------------------------------------------------------------------------
    def test_1_every_service_is_scraped_under_its_job(self):
        def all_up():
            ts = self.prom.targets()
            return len(ts) == len(SERVICES) and all(t["health"] == "up" for t in ts)
        wait_until(all_up, 20, 0.25, what=f"5 healthy targets: {self.prom.targets()}")
        up = {m["job"]: v for m, v in self.prom.query('up{job=~"callmesh-.+"}')}
        self.assertEqual(up, {f"callmesh-{s}": 1.0 for s in SERVICES})
        instances = {m["instance"] for m, _ in self.prom.query("up")}
        self.assertEqual(instances, {f"callmesh-{s}-0" for s in SERVICES})
        # Process metrics from /proc on every service (shared/metrics/process_collector.cpp).
        for metric in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                       "process_max_fds", "process_start_time_seconds"):
            got = {m["job"]: v for m, v in self.prom.query(f'{metric}{{job=~"callmesh-.+"}}')}
            self.assertEqual(set(got), {f"callmesh-{s}" for s in SERVICES}, metric)
            # an idle service may not have used a whole clock tick of CPU yet
            self.assertTrue(all(v > 0 or metric == "process_cpu_seconds_total" for v in got.values()),
                            (metric, got))
        rss = self.prom.value('max(process_resident_memory_bytes{job="callmesh-ingress"})')
        self.assertGreater(rss, 1 << 20)

    def test_2_calls_placed_with_sipp_appear_in_prometheus(self):
        wait_until(lambda: self.prom.value("sum(callmesh_ingress_calls_answered_total)") == 0, 20, 0.25,
                   what="a first scrape of the ingress")
        time.sleep(1.5)  # at least one more scrape at 0, so t0 is strictly before the calls
        t0 = time.time()
        phone = self.sipp(uas(self.cluster, "uas_answer.xml", self.phone_port, "phone"))
        caller = uac(self.cluster, TRACKING, calls=N_CALLS, rate=20, hold_ms=200, name="caller")
        self.assertEqual(caller.wait(timeout=60), 0, "SIPp reports failed calls: " + caller.out_file)
        self.assertEqual(caller.count("answered"), N_CALLS)
        self.assertEqual(phone.count_when("answered", N_CALLS), N_CALLS)

        # The counter moved by exactly N between t0 and now...
        self.wait_value("sum(callmesh_ingress_calls_answered_total)", N_CALLS)
        self.wait_value('sum(callmesh_ingress_calls_ended_total{reason="caller_hangup"})', N_CALLS)
        t1 = time.time()
        before = self.prom.value("sum(callmesh_ingress_calls_answered_total)", at=t0)
        after = self.prom.value("sum(callmesh_ingress_calls_answered_total)", at=t1)
        self.assertEqual((before, after), (0, N_CALLS))
        # ...and increase() over the window says N (it extrapolates to the window's edges, so it
        # may read a little above N, never below).
        window = int(t1 - t0) + 3
        inc = self.prom.value(f"sum(increase(callmesh_ingress_calls_answered_total[{window}s]))")
        self.assertGreaterEqual(round(inc, 6), N_CALLS)
        self.assertLess(inc, N_CALLS * 1.5)

        # Per message type, per number, per rule: every call went through limiter and router.
        self.wait_value("sum(callmesh_ingress_calls_offered_total)", N_CALLS)
        self.wait_value(f'sum(callmesh_concurrency_limiter_acquired_total{{number="{TRACKING}"}})', N_CALLS)
        self.wait_value(f'sum(callmesh_concurrency_limiter_rejected_total{{number="{TRACKING}"}})', 0)
        self.wait_value("sum(callmesh_concurrency_limiter_released_total)", N_CALLS)
        self.wait_value(f'max(callmesh_concurrency_limiter_cap_calls{{number="{TRACKING}"}})', CAP)
        self.wait_value('max(callmesh_concurrency_limiter_cap_calls{number="other"})', 50)
        # Every call was routed by rule direct_forward: decided by the router, or given the
        # decision the ingress kept for the number (it depends on the number alone).
        self.wait_value("sum(callmesh_ingress_route_decisions_total)", N_CALLS)
        routed = {(m["rule"], m["source"]): v for m, v in
                  self.prom.query("sum by (rule, source) (callmesh_ingress_route_decisions_total)")}
        self.assertEqual({rule for rule, _ in routed}, {"direct_forward"}, routed)
        asked = routed.get(("direct_forward", "router"), 0)
        self.assertGreaterEqual(asked, 1, routed)
        self.wait_value("sum(callmesh_router_decisions_total)", asked)  # the router's next scrape
        decisions = {(m["rule"], m["outcome"]): v for m, v in
                     self.prom.query("sum by (rule, outcome) (callmesh_router_decisions_total)")}
        self.assertEqual(decisions, {("direct_forward", "ring"): asked}, decisions)
        self.wait_value('sum(callmesh_ingress_sip_requests_total{method="INVITE"})', N_CALLS)
        self.wait_value('sum(callmesh_ingress_sip_requests_total{method="BYE"})', N_CALLS)
        # Durations: one observation per call; ZeroMQ latency per peer; Redis per service.
        self.wait_value("sum(callmesh_ingress_admission_duration_seconds_count)", N_CALLS)
        self.wait_value("sum(callmesh_ingress_call_setup_duration_seconds_count)", N_CALLS)
        for peer, requests in (("limiter", N_CALLS), ("router", asked)):
            self.wait_value(f'sum(callmesh_ingress_peer_request_duration_seconds_count{{peer="{peer}"}})', requests)
            self.wait_value(f'sum(callmesh_ingress_peer_errors_total{{peer="{peer}"}})', 0)
        self.assertEqual(self.prom.value("sum(callmesh_router_decision_duration_seconds_count)"), asked)
        # One Redis script per acquire; the releases of each event_flush_ms go in one pipeline.
        self.assertGreaterEqual(self.prom.value("sum(callmesh_concurrency_limiter_redis_duration_seconds_count)"),
                                N_CALLS + 1)
        # presence writes each call's offer, ringing, answer and end, one pipeline per event batch
        self.wait_value('sum(callmesh_agent_presence_call_events_total{kind="ended"})', N_CALLS)
        self.assertGreaterEqual(self.prom.value("sum(callmesh_agent_presence_redis_duration_seconds_count)"), 1)
        # notification does no Redis work for calls answered by a plain receiving number (no agent,
        # nobody to follow up, seed 004), so its Redis histogram is exported but may stay empty.
        self.assertGreaterEqual(self.prom.value("sum(callmesh_notification_redis_duration_seconds_count)"), 0)
        self.assertEqual(len(self.prom.query("callmesh_notification_redis_duration_seconds_count")), 1)
        p99 = self.prom.value("histogram_quantile(0.99, sum by (le) "
                              "(rate(callmesh_ingress_admission_duration_seconds_bucket[1m])))")
        self.assertGreater(p99, 0)
        self.assertLess(p99, 1.0)

    def test_3_a_missed_call_claimed_by_one_agent_shows_claims_and_time_to_claim(self):
        for name, port in (("alice", self.alice_port), ("bob", self.bob_port)):
            self.sipp(uas(self.cluster, "uas_busy.xml", port, name))
        caller = uac(self.cluster, COMPANY, calls=1, rate=1, hold_ms=0, name="missed", scenario="uac_reject.xml")
        self.assertEqual(caller.wait(timeout=30), 0, caller.out_file)
        self.wait_value("sum(callmesh_notification_missed_calls_total)", 1)

        def notes():
            status, body = api_call(self.api_port, "GET", "/v1/notifications", "alice")
            return body["notifications"] if status == 200 else []
        wait_until(lambda: len(notes()) == 1, 10, what="alice sees the missed call")
        note_id = notes()[0]["id"]
        time.sleep(1.0)  # a time to claim of at least a second
        status, _ = api_call(self.api_port, "POST", f"/v1/notifications/{note_id}/claim", "alice",
                             {"action": "call_back"})
        self.assertEqual(status, 200)
        status, body = api_call(self.api_port, "POST", f"/v1/notifications/{note_id}/claim", "bob",
                                {"action": "call_back"})
        self.assertEqual((status, body["claimed_by"]), (409, "alice"))
        status, _ = api_call(self.api_port, "POST", f"/v1/notifications/{note_id}/claim", "alice",
                             {"action": "call_back"})
        self.assertEqual(status, 200)

        claims = lambda: {m["outcome"]: v for m, v in  # noqa: E731
                          self.prom.query("sum by (outcome) (callmesh_notification_claims_total)")}
        # not_selected: a claim by a user who may see the record but was not selected (seed 004).
        want = {"won": 1, "held": 1, "repeat": 1, "not_found": 0, "not_selected": 0}
        last = {}

        def claims_match():
            last.update(claims())
            return last == want
        try:
            wait_until(claims_match, 15, 0.25, what="claims by outcome")
        except AssertionError:
            self.fail(f"claims by outcome: {last}, expected {want}")
        self.wait_value("sum(callmesh_notification_time_to_claim_seconds_count)", 1)
        waited = self.prom.value("sum(callmesh_notification_time_to_claim_seconds_sum)")
        self.assertGreaterEqual(waited, 1.0)
        self.assertLess(waited, 60)
        # ring outcome of that call: both agents busy
        self.assertGreaterEqual(self.prom.value('sum(callmesh_ingress_calls_ended_total{reason!="caller_hangup"})'), 1)

    def test_4_every_metric_of_the_rules_and_the_dashboard_is_on_a_live_metrics_page(self):
        live = set(promql.PROMETHEUS_SERIES)
        for svc in SERVICES:
            _, body = self.cluster.http(svc, "/metrics")
            live |= promql.exposed_names(body)
        missing = []
        exprs = promql.rule_expressions() + promql.dashboard_expressions()
        for where, expr in exprs:
            names = promql.metric_names(expr)
            self.assertTrue(names, f"{where}: selects no metric")
            missing += [f"{where}: {n}" for n in sorted(names - live)]
            # Prometheus itself parses and evaluates every expression.
            self.prom.query(promql.grafana_to_promql(expr))
        self.assertEqual(missing, [], "metrics used by rules/dashboard but not exposed by the cluster")
        self.assertGreater(len(exprs), 50)

    def test_5_a_number_near_its_cap_puts_its_alert_in_pending(self):
        self.sipp(uas(self.cluster, "uas_answer.xml", self.phone_port, "phone_long"))
        held = CAP - 1  # 90% of the cap
        caller = self.sipp(uac(self.cluster, TRACKING, calls=held, rate=50, hold_ms=15000, name="long"))
        wait_until(lambda: caller.count("answered") == held, 15, what=f"{held} long calls up")
        self.wait_value(f'max(callmesh_concurrency_limiter_in_use_calls{{number="{TRACKING}"}})', held)

        def pending():
            return [a for a in self.prom.alerts("CallmeshCapNearlyFull")
                    if a["labels"].get("number") == TRACKING]
        wait_until(lambda: pending(), 10, 0.25, what="CallmeshCapNearlyFull for the number")
        alert = pending()[0]
        self.assertEqual(alert["state"], "pending")  # `for: 2m` has not passed
        self.assertEqual(alert["labels"]["severity"], "warning")
        self.assertIn("90%", alert["annotations"]["summary"])
        self.assertEqual(self.prom.alerts("CallmeshServiceDown"), [])
        caller.stop()

    def test_6_a_service_down_puts_its_alerts_in_pending(self):
        self.cluster.stop_service("agent-presence", signal.SIGKILL)

        def down(name):
            return [a for a in self.prom.alerts(name) if a["labels"].get("job") == "callmesh-agent-presence"]
        wait_until(lambda: down("CallmeshInstanceDown") and down("CallmeshServiceDown"), 10, 0.25,
                   what="InstanceDown and ServiceDown for agent-presence")
        self.assertEqual(down("CallmeshServiceDown")[0]["labels"]["severity"], "critical")
        self.assertEqual(self.prom.value('up{job="callmesh-agent-presence"}'), 0)
        # Only that service: the others are still up.
        self.assertEqual(self.prom.value('sum(up{job=~"callmesh-.+"})'), len(SERVICES) - 1)
        self.cluster.start_service("agent-presence")
        wait_until(lambda: self.prom.value('up{job="callmesh-agent-presence"}') == 1, 10, 0.25,
                   what="agent-presence scraped again")


if __name__ == "__main__":
    unittest.main()
