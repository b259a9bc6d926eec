#!/usr/bin/env python3
"""SIPp load through the whole callmesh cluster (a benchmark, not a test).

Starts a private cluster on loopback (redis-server + the five services) and a SIPp phone, then
steps the call rate up a bounded ladder. For each rate it runs SIPp callers for a fixed time and
reports: calls completed and failed, and the CPU milliseconds per call summed over every cluster
process (redis included), each thread's run time from /proc (tools/bench/proc_cpu.py). It stops
at the first rate with a failure and prints the highest rate held with 0 failures.

  tools/bench/cluster_load.py                       # ladder 100,200,300,400,500 calls/s, 20 s each
  tools/bench/cluster_load.py --rates 500 --seconds 20
"""

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from cluster import Cluster, free_port, uac, uas  # noqa: E402
from bench_proc import rss_kb  # noqa: E402
from proc_cpu import cpu_seconds  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rates", default="100,200,300,400,500", help="comma-separated calls/s ladder")
    ap.add_argument("--seconds", type=int, default=20, help="seconds per rate (bounded: at most 120)")
    ap.add_argument("--ingress-extra", default="", help="extra ingress: lines for cluster.yaml, e.g. "
                    "'  event_flush_ms: 10\\n' (A/B runs of a setting)")
    ap.add_argument("--zmq", choices=["tcp", "ipc"], default="tcp",
                    help="ZeroMQ transport between the services (ipc: Unix sockets, one host)")
    args = ap.parse_args()
    seconds = min(max(args.seconds, 1), 120)
    rates = [int(r) for r in args.rates.split(",")][:10]

    phone_port = free_port()
    routing = f"""tracking_numbers:
  - number: "+15550100"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{phone_port}"
"""
    # One SIPp is one source: the per-source new-call limit (100/s by default, meant for one
    # trunk address among several) would refuse the ladder's upper rates with 503.
    unlimited = "  new_call_rps: 1000000\n  new_call_burst: 1000000\n"
    cluster = Cluster(routing, cap=100000, zmq=args.zmq,
                      ingress_extra=unlimited + args.ingress_extra.encode().decode("unicode_escape")).start()
    phone = uas(cluster, "uas_answer.xml", phone_port, "phone")
    held = 0
    print(f"{'calls/s':>8} {'ok':>8} {'failed':>7} {'cluster CPU-ms/call':>20} {'RSS MB (sum)':>13}")
    try:
        for rate in rates:
            pids = {n: p.pid for n, p in cluster.procs.items()}
            before = {n: cpu_seconds(pid) for n, pid in pids.items()}
            calls = rate * seconds
            caller = uac(cluster, "+15550100", calls=calls, rate=rate, hold_ms=0, name=f"load{rate}",
                         extra=["-l", str(rate * 5)])
            code = caller.wait(timeout=seconds * 3 + 30)
            time.sleep(0.5)  # let the last BYEs and events settle before reading CPU
            per_process = {n: cpu_seconds(pid) - before[n] for n, pid in pids.items()}
            used = sum(per_process.values())
            ok = caller.count("answered")
            failed = calls - ok
            rss_each = {n: rss_kb(pid) / 1024 for n, pid in pids.items()}
            rss = sum(rss_each.values())
            per_call = used * 1000 / max(ok, 1)
            print(f"{rate:>8} {ok:>8} {failed:>7} {per_call:>20.3f} {rss:>13.1f}   "
                  + " ".join(f"{n}={v * 1000 / max(ok, 1):.3f}" for n, v in per_process.items())
                  + f"   ingress RSS {rss_each.get('ingress', 0):.0f} MB", flush=True)
            if code != 0 or failed:
                break
            held = rate
    finally:
        phone.stop()
        cluster.cleanup()
    print(f"held {held} calls/s for {seconds} s with 0 failures")


if __name__ == "__main__":
    main()
