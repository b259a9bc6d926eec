"""Fault suite (issue 8): the cluster under bounded SIPp load while its parts fail.

* kill -9 of each service in turn, restarted by cluster.py's start_service: new calls succeed
  again within 5 s of the kill, calls in progress end cleanly (every answered call gets a 200 to
  its BYE) unless the ingress itself died, and caps do not drift (ZCARD cm:{number}:slots back to 0).
* SIGSTOP/SIGCONT of the limiter: never more than the cap connected, no slot left behind.
* SIGSTOP/SIGCONT of notification with claims in flight: one record per missed call, exactly one
  claim wins per record.
* Redis killed and restarted with AOF: new calls fail closed with 503 while it is down, every
  missed call placed has its record afterwards.
* ZeroMQ peers (router, limiter, agent-presence, notification) restarted under load: no event that
  affects caps or notifications is lost.
* A lost BYE: the ingress ends the call at ingress.max_call_duration_s; with the ingress dead, the
  slot frees itself when its lease (concurrency_limiter.lease_ms) runs out.

  python3 -m unittest -v faults_test       # short forms (ctest, label e2e)
  python3 faults_test.py --long            # long forms by hand (more calls, longer outages)
"""

import os
import signal
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from cluster import Cluster, Sipp, free_port, uac, uas, wait_until  # noqa: E402

LONG = os.environ.get("CALLMESH_FAULTS_LONG") == "1"
NUMBER = "+15550100"
BUSY_NUMBER = "+15550101"
SLOTS = "cm:{+15550100}:slots"


def routing(answer_port, busy_port=None):
    text = f"""tracking_numbers:
  - number: "{NUMBER}"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{answer_port}"
"""
    if busy_port:
        text += f"""  - number: "{BUSY_NUMBER}"
    receiving_numbers:
      - number: "+15550198"
        uri: "sip:+15550198@127.0.0.1:{busy_port}"
"""
    return text


class FaultCluster(Cluster):
    """cluster.py's Cluster, with Redis optionally persisting to an AOF (fsync on every write) and
    restartable on the same port and data directory."""

    def __init__(self, *args, aof=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.aof = aof

    def redis_argv(self):
        return ["redis-server", "--bind", "127.0.0.1", "--port", str(self.ports["redis"]),
                "--dir", os.path.join(self.dir, "redis"), "--save", ""] + (
            ["--appendonly", "yes", "--appendfsync", "always"] if self.aof else ["--appendonly", "no"])

    def start(self):
        super().start()
        if self.aof:  # restart Redis at once with the AOF on (nothing is written yet)
            self.stop_service("redis")
            self.start_redis()
        return self

    def start_redis(self):
        self._spawn("redis", self.redis_argv())
        wait_until(lambda: self.redis("PING") == "PONG", 10, what="redis-server")

    def ready(self, svc):
        try:
            return self.http(svc, "/readyz")[0] == 200
        except OSError:
            return False


class Lines:
    """Polls a SIPp caller's log: call-ids per word, and the most calls connected at once."""

    def __init__(self, sipp):
        self.sipp = sipp

    def ids(self, word):
        return {line.split()[0] for line in self.sipp.lines(word) if line}

    def finals(self):
        out = {}
        for line in self.sipp.lines("final"):
            out[line] = out.get(line, 0) + 1
        return out


class Monitor(threading.Thread):
    """Samples, every 50 ms, the calls connected (answered, not yet ended, at the caller) and the
    number's ZCARD; keeps the maxima. Bounded by `seconds`."""

    def __init__(self, cluster, caller, seconds):
        super().__init__(daemon=True)
        self.cluster, self.caller, self.seconds = cluster, Lines(caller), seconds
        self.max_connected = 0
        self.max_zcard = 0
        self.stop = threading.Event()

    def run(self):
        deadline = time.monotonic() + self.seconds
        while not self.stop.is_set() and time.monotonic() < deadline:
            connected = len(self.caller.ids("answered") - self.caller.ids("ended"))
            self.max_connected = max(self.max_connected, connected)
            z = self.cluster.redis("ZCARD", SLOTS)
            if z.isdigit():
                self.max_zcard = max(self.max_zcard, int(z))
            time.sleep(0.05)


class Faults(unittest.TestCase):
    def start(self, **kwargs):
        self.answer_port, self.busy_port = free_port(), free_port()
        self.cluster = FaultCluster(routing(self.answer_port, self.busy_port), **kwargs).start()
        self.addCleanup(self.cluster.cleanup)
        return self.cluster

    def phone(self, scenario="uas_answer_retrans.xml", port=None, name="phone"):
        p = uas(self.cluster, scenario, port or self.answer_port, name)
        self.addCleanup(p.stop)
        return p

    def load(self, calls, rate=20, hold_ms=2000, name="load", number=NUMBER, scenario="uac_call_any.xml",
             extra=None):
        c = uac(self.cluster, number, calls=calls, rate=rate, hold_ms=hold_ms, name=name, scenario=scenario,
                extra=extra)
        self.addCleanup(c.stop)
        return c

    def slots_free(self, timeout, key=SLOTS):
        wait_until(lambda: self.cluster.redis("ZCARD", key) == "0", timeout, what=f"{key} back to 0")

    # -- kill -9 -----------------------------------------------------------------------------
    def test_kill9_each_service_in_turn(self):
        lease_ms = 4000
        c = self.start(cap=1000, lease_ms=lease_ms)
        self.phone()
        seconds = 12 if LONG else 6
        report = []
        for svc in ["router", "concurrency-limiter", "agent-presence", "notification", "ingress"]:
            # A call whose INVITE the dying ingress had already answered with 100 Trying gets no
            # more retransmissions from SIPp and would wait for ever: for that phase SIPp gives up
            # on a response after 10 s (those calls count as refused, not as hung).
            extra = ["-recv_timeout", "10000"] if svc == "ingress" else None
            caller = self.load(20 * seconds, name=f"load-{svc}", extra=extra)
            started = time.monotonic()
            log = Lines(caller)
            wait_until(lambda: len(log.ids("answered")) >= 10, 10, what="calls connected before the kill")
            before = log.ids("answered") | set(log.finals())
            connected_at_kill = log.ids("answered") - log.ids("ended")
            killed = time.monotonic()
            c.stop_service(svc, signal.SIGKILL)
            c.start_service(svc)
            restarted = time.monotonic() - killed
            # A new call answered: one SIPp started after the kill (call n starts (n-1)/rate s in;
            # one call of margin for SIPp's pacing).
            first_new = int((killed - started) * 20) + 2
            wait_until(lambda: any(int(cid.split("-", 1)[0]) >= first_new for cid in log.ids("answered") - before),
                       10, interval=0.02, what=f"a new call answered after {svc} was killed")
            recovered = time.monotonic() - killed
            caller.wait(timeout=seconds * 3 + 40)
            answered, ended, finals = log.ids("answered"), log.ids("ended"), log.finals()
            report.append(f"{svc}: restart {restarted:.2f}s, first new call answered {recovered:.2f}s after the "
                          f"kill, answered {len(answered)}, ended {len(ended)}, refused {finals}")
            self.assertLess(recovered, 5.0, report[-1])
            if svc != "ingress":
                # Calls in progress end cleanly: every answered call's BYE got its 200.
                self.assertEqual(answered, ended, report[-1])
                self.assertEqual(len(answered) + sum(finals.values()), 20 * seconds, report[-1])
                self.assertEqual(set(finals) - {"503"}, set(), report[-1])
            else:
                # The calls the dead ingress carried cannot end cleanly; their slots expire by lease.
                self.assertGreater(len(connected_at_kill), 0)
            self.slots_free(lease_ms / 1000 + 3)
        print("\n" + "\n".join(report), file=sys.stderr)
        for name, proc in c.procs.items():
            self.assertIsNone(proc.poll(), name)

    # -- SIGSTOP / SIGCONT ---------------------------------------------------------------------
    def stall_limiter(self, cap=10):
        """Calls at 20/s held 2 s against a cap of 10 while the limiter is SIGSTOPped for 2 s (4 s
        long form). Returns the caller's log, the monitor and the answered count at SIGCONT."""
        c = self.start(extra_caps={NUMBER: cap})  # lease 30 s: a leaked slot shows at the end
        self.phone()
        seconds = 16 if LONG else 8
        caller = self.load(20 * seconds, hold_ms=2000)
        monitor = Monitor(c, caller, seconds * 3 + 30)
        monitor.start()
        log = Lines(caller)
        wait_until(lambda: len(log.ids("answered")) >= cap, 10, what="the cap reached")
        pid = c.procs["concurrency-limiter"].pid
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(4 if LONG else 2)
        finally:
            os.kill(pid, signal.SIGCONT)
        resumed = len(log.ids("answered"))
        caller.wait(timeout=seconds * 3 + 30)
        monitor.stop.set()
        monitor.join()
        ghosts = self.ghost_slots()
        summary = (f"answered {len(log.ids('answered'))} (after SIGCONT {len(log.ids('answered')) - resumed}), "
                   f"refused {log.finals()}, most connected {monitor.max_connected}, most slots "
                   f"{monitor.max_zcard}; slots held after the load by calls that had ended: {len(ghosts)} {ghosts[:3]}")
        print("\n" + summary, file=sys.stderr)
        return log, monitor, resumed, ghosts, summary

    def test_sigstop_limiter_never_admits_over_the_cap(self):
        cap = 10
        log, monitor, _, _, summary = self.stall_limiter(cap)
        finals = log.finals()
        self.assertLessEqual(monitor.max_connected, cap, summary)
        self.assertLessEqual(monitor.max_zcard, cap, summary)
        self.assertGreater(finals.get("503", 0), 0, "no call failed closed while the limiter was stopped")
        self.assertEqual(log.ids("answered"), log.ids("ended"), summary)  # calls in progress ended cleanly
        self.assertEqual(set(finals) - {"486", "503"}, set(), summary)

    # Known ingress bug: when an acquire gets no reply (limiter stalled), the ingress answers 503
    # but sends no release for that Call-ID (sip_proxy.cpp, onSlotDecision: `failed` -> failCall,
    # slot_held is false so releaseSlot is a no-op). The acquires queued in the stalled limiter
    # run on SIGCONT and take the number's slots for calls that are already over: the number
    # answers 486 to everyone until those leases run out (lease_ms, 30 s by default). Remove the
    # decorator when fixed (e.g. release after a failed acquire, and let the limiter drop
    # requests past their deadline).
    def test_sigstop_limiter_leaves_no_ghost_slot(self):
        log, _, resumed, ghosts, summary = self.stall_limiter(10)
        self.assertEqual(ghosts, [], summary)
        self.assertGreater(len(log.ids("answered")) - resumed, 0, "no call answered after SIGCONT: " + summary)
        self.slots_free(3)  # by release, far sooner than the 30 s lease

    def ghost_slots(self):
        """Slots in Redis whose call the ingress already ended, with the call's end as logged."""
        ended = {}
        for line in self.cluster.log("ingress").splitlines():
            if '"event":"call_ended"' in line:
                cid = line.split('"call_id":"', 1)[1].split('"', 1)[0]
                ended[cid] = line.split('"reason":"', 1)[1].split('"', 1)[0] if '"reason":"' in line else "?"
        members = self.cluster.redis("ZRANGE", SLOTS, "0", "-1").split()
        return [(m, ended[m]) for m in members if m in ended]

    def test_sigstop_notification_one_record_per_missed_call_and_one_claim_wins(self):
        from agents_e2e_test import COMPANY, Api, notification_settings
        from agents_e2e_test import routing as agents_routing
        alice_port, bob_port, gw_port, api_port = (free_port() for _ in range(4))
        self.cluster = FaultCluster(agents_routing(alice_port, bob_port))
        with open(self.cluster.config, "a") as f:
            f.write(notification_settings(api_port, gw_port))
        self.cluster.start()
        self.addCleanup(self.cluster.cleanup)
        api = Api(api_port)
        wait_until(lambda: api.call("GET", "/v1/me", "alice")[0] == 200, 10, what="notification API")
        for name, port in (("alice", alice_port), ("bob", bob_port)):
            self.phone("uas_busy.xml", port, name)
        calls = 60 if LONG else 20
        caller = uac(self.cluster, COMPANY, calls=calls, rate=10, hold_ms=0, name="caller", scenario="uac_reject.xml")
        self.addCleanup(caller.stop)
        wait_until(lambda: int(self.cluster.unclaimed_count() or 0) >= 5, 15,
                   what="first records")
        ids = self.cluster.unclaimed_ids(5)
        pid = self.cluster.procs["notification"].pid
        os.kill(pid, signal.SIGSTOP)
        results = {}
        try:
            # Both agents claim the same 5 records while the service is stopped: the requests wait in
            # its accept queue and race when it resumes.
            threads = []
            for nid in ids:
                for who, action in (("alice", "call_back"), ("bob", "text_back")):
                    t = threading.Thread(target=lambda n=nid, w=who, a=action: results.__setitem__(
                        (n, w), api.call("POST", f"/v1/notifications/{n}/claim", w, {"action": a})[0]))
                    t.start()
                    threads.append(t)
            time.sleep(4 if LONG else 2)
        finally:
            os.kill(pid, signal.SIGCONT)
        for t in threads:
            t.join(20)
        self.assertEqual(caller.wait(timeout=calls + 30), 0, caller.out_file)
        self.assertEqual(caller.lines("final"), ["486"] * calls)
        for nid in ids:
            codes = sorted([results.get((nid, "alice")), results.get((nid, "bob"))])
            self.assertEqual(codes, [200, 409], f"claims of {nid}: {codes}")
            self.assertIn(self.cluster.redis("HGET", f"cm:notif:{{{nid}}}", "claimed_by"), ("alice", "bob"))
        wait_until(lambda: len(self.cluster.redis("KEYS", "cm:notif:*").split()) == calls, 15,
                   what=f"{calls} records")
        wait_until(lambda: self.cluster.metric("ingress", "callmesh_ingress_events_pending") == 0, 10,
                   what="every event acknowledged")
        self.assertEqual(len(self.cluster.redis("KEYS", "cm:notif:*").split()), calls)
        self.assertEqual(self.cluster.unclaimed_count(), str(calls - len(ids)))

    # -- Redis ---------------------------------------------------------------------------------
    def test_redis_killed_and_restarted_with_aof_fails_closed_and_loses_no_call_record(self):
        c = self.start(aof=True)
        self.phone("uas_busy.xml", self.busy_port, "busy")
        n = 30 if LONG else 10
        first = uac(c, BUSY_NUMBER, calls=n, rate=20, hold_ms=0, name="first", scenario="uac_reject.xml")
        self.assertEqual(first.wait(timeout=30), 0, first.out_file)
        self.assertEqual(first.lines("final"), ["486"] * n)
        c.stop_service("redis", signal.SIGKILL)
        down = uac(c, BUSY_NUMBER, calls=5, rate=5, hold_ms=0, name="down", scenario="uac_reject.xml")
        self.assertEqual(down.wait(timeout=30), 0, down.out_file)
        self.assertEqual(down.lines("final"), ["503"] * 5)  # fail closed: no count, no call
        time.sleep(2 if LONG else 0.5)
        c.start_redis()
        # No readiness wait: /readyz follows the outcome of the last Redis command, so a service
        # that failed while Redis was down reports 503 until traffic succeeds again. A client whose
        # connects failed waits out its backoff (redis.reconnect_max_ms, 1 s by default) before it
        # tries again, failing closed meanwhile; the first call after that window must work.
        time.sleep(1.0 + 0.3)
        second = uac(c, BUSY_NUMBER, calls=n, rate=20, hold_ms=0, name="second", scenario="uac_reject.xml")
        self.assertEqual(second.wait(timeout=30), 0, second.out_file)
        self.assertEqual(second.lines("final"), ["486"] * n)
        wait_until(lambda: c.metric("ingress", "callmesh_ingress_events_pending") == 0, 15, what="events acknowledged")
        # Log lines are flushed every 200 ms: wait (bounded) until every call_offered line is in.
        wait_until(lambda: len(self._call_ids(first) | self._call_ids(second)) == 2 * n, 5,
                   what="every call_offered line in the ingress log")
        busy_ids = self._call_ids(first) | self._call_ids(second)
        self.assertEqual(len(busy_ids), 2 * n)
        # Issue 20: every call that rang has its call detail record (a plain tracking number asks
        # for no follow-up record, seed 004).
        lost = [cid for cid in busy_ids if c.redis("EXISTS", f"cm:{{cdr}}:call:{cid}") != "1"]
        keys = c.redis("KEYS", "cm:{cdr}:call:*").split()
        extra = [k for k in keys if k[len("cm:{cdr}:call:"):] not in busy_ids]
        print(f"\nbusy calls placed {2 * n}, records {len(keys)}, calls refused 503 while Redis was down 5; "
              f"records for calls that never rang (failed closed): {extra}", file=sys.stderr)
        self.assertEqual(lost, [], "busy calls without a record after the Redis restart")
        self.slots_free(3, "cm:{+15550101}:slots")

    def _call_ids(self, sipp):
        """Call-IDs SIPp used (from its -trace_err/-trace_logs we only log codes, so read the ingress log)."""
        ids = set()
        pid = str(sipp.proc.pid)
        for line in self.cluster.log("ingress").splitlines():
            if '"event":"call_offered"' in line and f"-{pid}@" in line:
                ids.add(line.split('"call_id":"', 1)[1].split('"', 1)[0])
        return ids

    # -- ZeroMQ peers restarted ------------------------------------------------------------------
    def test_zeromq_peers_restarted_under_load_lose_no_event(self):
        c = self.start(lease_ms=30000)
        self.phone()
        self.phone("uas_busy.xml", self.busy_port, "busy")
        seconds = 12 if LONG else 6
        answered = self.load(20 * seconds, rate=20, hold_ms=1000, name="answered")
        missed = uac(c, BUSY_NUMBER, calls=10 * seconds, rate=10, hold_ms=0, name="missed", scenario="uac_reject.xml")
        self.addCleanup(missed.stop)
        time.sleep(1)
        for svc in ["agent-presence", "notification", "router", "concurrency-limiter"]:
            c.stop_service(svc, signal.SIGKILL)
            time.sleep(0.3)
            c.start_service(svc)
        answered.wait(timeout=seconds * 3 + 30)
        missed.wait(timeout=seconds * 3 + 30)
        a, m = Lines(answered), missed.lines("final")
        busy = m.count("486")
        summary = f"answered {len(a.ids('answered'))} ended {len(a.ids('ended'))} refused {a.finals()}; missed finals {sorted(set(m))}"
        print("\n" + summary, file=sys.stderr)
        self.assertEqual(a.ids("answered"), a.ids("ended"), summary)
        wait_until(lambda: c.metric("ingress", "callmesh_ingress_events_pending") == 0, 15, what="events acknowledged")
        # Every call that rang the busy phone has exactly one call record (issue 20).
        wait_until(lambda: c.redis("ZCARD", "cm:{cdr}:outcome:busy") == str(busy), 10,
                   what=f"{busy} busy call records")
        # And no follow-up record: plain tracking numbers ask for none (seed 004: company numbers).
        self.assertEqual(c.redis("KEYS", "cm:notif:*"), "")
        self.slots_free(3)
        self.slots_free(3, "cm:{+15550101}:slots")
        self.assertEqual(c.redis("SCARD", "cm:number:{+15550100}:oncall"), "0")

    # -- lost BYE --------------------------------------------------------------------------------
    def test_lost_bye_ends_at_the_time_limit_and_frees_by_lease_when_the_ingress_dies(self):
        lease_ms = 3000
        c = self.start(lease_ms=lease_ms, ingress_extra="  max_call_duration_s: 2\n")
        phone = self.phone()
        n = 5
        # Callers that never send BYE: the ingress ends the calls at the time limit, BYE both ways.
        caller = self.load(n, rate=10, hold_ms=0, name="nobye", scenario="uac_callee_hangup.xml")
        self.assertEqual(caller.wait(timeout=30), 0, caller.out_file)
        self.assertEqual(caller.count("hungup"), n)
        wait_until(lambda: phone.count("bye") == n, 5, what="the phone got the proxy's BYEs")
        self.assertEqual(c.metric("ingress", "callmesh_ingress_calls_ended_total", 'reason="max_duration"'), n)
        self.slots_free(2)
        # Now the ingress dies while such calls are connected: nobody renews their leases.
        caller = self.load(n, rate=50, hold_ms=0, name="orphans", scenario="uac_callee_hangup.xml")
        wait_until(lambda: c.redis("ZCARD", SLOTS) == str(n), 5, what=f"{n} slots held")
        c.stop_service("ingress", signal.SIGKILL)
        killed = time.monotonic()
        time.sleep(1.0)
        self.assertEqual(c.redis("ZCARD", SLOTS), str(n), "slots must stay until their leases run out")
        self.slots_free(lease_ms / 1000 + 2)
        freed = time.monotonic() - killed
        print(f"\norphaned slots freed {freed:.2f}s after the ingress died (lease {lease_ms} ms)", file=sys.stderr)
        self.assertGreater(freed, 1.0)
        caller.stop()
        c.start_service("ingress")


if __name__ == "__main__":
    if "--long" in sys.argv:
        sys.argv.remove("--long")
        LONG = True
    unittest.main(verbosity=2)
