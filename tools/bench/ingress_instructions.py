#!/usr/bin/env python3
"""Instructions the ingress executes per call, counted by valgrind's callgrind (a benchmark, not
a test).

CPU seconds on a shared, paravirtualised 2-core box drift by tens of percent within minutes;
instruction counts do not: the same binary, inputs and environment give the same total whatever
else the machine is doing. That makes this the way to measure what a change to the ingress's
per-call path costs (issue 16: "the CPU per call that the new checks add"), next to
compare_kamailio.py for seconds against Kamailio.

For each build directory it starts a private cluster whose ingress runs under callgrind, places
`--small` calls and then, on a fresh cluster, `--large` calls (SIPp caller -> ingress -> SIPp
phone, answered, held `--hold-ms`), and reports (Ir(large) - Ir(small)) / (large - small): the
ingress's instructions per call with its start-up and shutdown cancelled out (the idle event-loop
turns during the extra calls are counted too, alike for every build at one rate). Runs alternate
between the builds and each is repeated `--repeat` times; the median is reported.

  tools/bench/ingress_instructions.py --build build                       # one build
  tools/bench/ingress_instructions.py --build /tmp/base/build --build build  # before / after
  tools/bench/ingress_instructions.py --build build --curve both          # CURVE's cost per call

--curve on (the default, as deployed) or off sets zmq.curve for every service of the cluster;
both runs each build twice, off then on, and compares them (issue 18 item 4).

Only loopback; every run is bounded (at most 2,000 calls, 10 minutes).
"""

import argparse
import glob
import os
import re
import signal
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import cluster as cluster_module  # noqa: E402
from cluster import Cluster, free_port, uac, uas, wait_until  # noqa: E402


class CallgrindCluster(Cluster):
    """A cluster whose ingress runs under callgrind (the other services run as usual)."""

    def start_service(self, svc):
        if svc != "ingress":
            return super().start_service(svc)
        binary = os.path.join(cluster_module.BUILD_DIR, "services", svc, f"callmesh-{svc}")
        out = os.path.join(self.dir, "callgrind.out.%p")
        self._spawn(svc, ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                          binary, "--config", self.config])
        wait_until(lambda: self.healthy(svc) or self.procs[svc].poll() is not None, 120,
                   what="ingress under callgrind /healthz")
        if self.procs[svc].poll() is not None:
            raise AssertionError(f"ingress exited at start: {self.log(svc)[-1500:]}")

    def ingress_instructions(self):
        """Stops the ingress (callgrind writes its counts at exit) and returns its total Ir."""
        self.stop_service("ingress", signal.SIGTERM, timeout=120)
        files = glob.glob(os.path.join(self.dir, "callgrind.out.*"))
        if not files:
            raise AssertionError("callgrind wrote no output")
        with open(files[0]) as f:
            for line in f:
                m = re.match(r"^(?:summary|totals):\s+(\d+)", line)
                if m:
                    return int(m.group(1))
        raise AssertionError(f"no totals in {files[0]}")


def one_run(build, calls, rate, hold_ms, curve=True):
    cluster_module.BUILD_DIR = build
    phone_port = free_port()
    routing = f"""tracking_numbers:
  - number: "+15550100"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{phone_port}"
"""
    # drain_timeout_s 1: no call is live when the ingress is stopped, so it exits at once.
    c = CallgrindCluster(routing, cap=100000, ingress_extra="  drain_timeout_s: 1\n", curve=curve)
    try:
        c.start()
        phone = uas(c, "uas_answer.xml", phone_port, "phone")
        try:
            caller = uac(c, "+15550100", calls=calls, rate=rate, hold_ms=hold_ms, name="caller")
            rc = caller.wait(timeout=min(600, calls / rate * 4 + 60))
            if rc != 0:
                raise AssertionError(f"SIPp reports failed calls (exit {rc}): {caller.out_file}")
            wait_until(lambda: c.metric("ingress", "callmesh_ingress_calls_ended_total",
                                        'reason="caller_hangup"') >= calls, 30, what="every call ended")
        finally:
            phone.stop()
        return c.ingress_instructions()
    finally:
        c.cleanup()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", action="append", required=True,
                    help="a build directory (give two to compare, e.g. before and after)")
    ap.add_argument("--small", type=int, default=50)
    ap.add_argument("--large", type=int, default=250)
    ap.add_argument("--rate", type=int, default=10, help="calls/s (callgrind runs ~50x slower)")
    ap.add_argument("--hold-ms", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--curve", choices=("on", "off", "both"), default="on",
                    help="zmq.curve of the cluster; both = every build with CURVE off, then on")
    args = ap.parse_args()
    small = max(1, min(args.small, 2000))
    large = max(small + 1, min(args.large, 2000))
    curves = {"on": [True], "off": [False], "both": [False, True]}[args.curve]
    # A variant is one build with one zmq.curve setting; its label names both when they differ.
    variants = [(b, cv, b if args.curve != "both" else f"{b} curve {'on' if cv else 'off'}")
                for b in args.build for cv in curves]
    per_call = {label: [] for _, _, label in variants}
    started = time.monotonic()
    for i in range(max(1, args.repeat)):
        for build, curve, label in variants:  # alternating, so drift falls on every one alike
            ir_small = one_run(os.path.abspath(build), small, args.rate, args.hold_ms, curve)
            ir_large = one_run(os.path.abspath(build), large, args.rate, args.hold_ms, curve)
            value = (ir_large - ir_small) / (large - small)
            per_call[label].append(value)
            print(f"run {i + 1} {label}: {value:,.0f} instructions per call "
                  f"(Ir {ir_small:,} for {small} calls, {ir_large:,} for {large})", flush=True)
            if time.monotonic() - started > 3600:
                break
    print("\nmedian instructions per call in the ingress:")
    base = None
    for build, values in per_call.items():
        med = statistics.median(values)
        note = "" if base is None else f"  ({med / base:.3f}x the first)"
        base = base or med
        print(f"  {build}: {med:,.0f} over {len(values)} runs{note}")


if __name__ == "__main__":
    main()
