#!/usr/bin/env python3
"""Soak: the ingress's memory stays flat under a steady call rate (issue 22 point 3).

Starts a private cluster like the benchmarks do (tests/e2e/cluster.py: redis-server and the five
services on loopback, free ports, every process stopped by pid), a SIPp phone that answers at
once (tests/e2e/sipp/uas_answer_bench.xml) and one SIPp caller placing --rate calls/s for
--seconds, each hung up as soon as it is answered (the anchor workload of tools/bench). Every
--every seconds it samples the ingress's RSS (/proc/<pid>/status) and PSS (smaps_rollup).

Why a warm-up: sofia-sip keeps every finished transaction for its RFC 3261 timer before freeing it
(services/ingress/README.md, "Finished transactions"): over UDP an answered INVITE's client
transaction 32 s (Timer D) and a BYE's server transaction 32 s (Timer J), so the ingress's memory
rises for the first 32 s of any steady load, by design, and only then can it be flat. The
warm-up (--warmup, at least 40 s) is that plus the allocator's own settling (jemalloc returns freed
pages over 10 s).

Every --every seconds it also notes the time, and after the run reads SIPp's once-a-second
statistics (-trace_stat: calls completed so far) to give each sample the calls completed in the
trailing 32 s: the calls whose transactions the ingress still holds. Judged on the samples after
the warm-up (the steady window) by two rules (tools/soak/rss_rules.py has them in full):
  raw       RSS and PSS: (1) the least-squares slope over the last --slope-window seconds at most
            --max-slope-kb-min KB per minute (default 1,024 over 120 s: a leak of 17 bytes per
            call at 1,000 calls/s; a short window needs a looser limit: RSS moves by a few
            hundred KB as jemalloc takes and returns pages, which a 15 s fit reads as ~1.5 MB/min,
            so the short form takes 4,096); (2) the second half's peak at most --tolerance (5%)
            above the first half's. It decides only when the carried rate was steady (every
            sample's calls in the last 32 s within --tolerance of their median): on a loaded box
            SIPp falls behind and catches up in bursts, and RSS steps with the calls carried;
  per call  bytes per retained call, (RSS - idle RSS) / calls completed in the trailing 32 s:
            (1) its slope at most the raw limit spread over the calls the nominal rate retains
            (1,024 KB/min over 1,000 x 32 calls: 32 B per call per minute); (2) the second half's
            median at most --tolerance above the first half's. Always decides: a leak raises the
            bytes per call whatever the rate carried.
Also: at least 90% of the calls answered (else the ingress was not at the rate and the run
says nothing about it). The output: the machine, every sample (t, RSS, PSS, calls in the last
32 s, that as calls/s, bytes per retained call), then a JSON summary with each rule's verdict
and its figures; --json keeps the samples too.

    # the 5-minute form (issue 22): 1,000 calls/s, 300 s, warm-up 60 s, samples every 5 s
    tools/soak/ingress_rss.py --rate 1000 --seconds 300 --warmup 60 --every 5
    # the short form the e2e run holds (ctest -R e2e_soak_ingress_rss): 200 calls/s for 55 s
    tools/soak/ingress_rss.py --rate 200 --seconds 55 --warmup 40 --every 1 --slope-window 15 \
        --max-slope-kb-min 4096

Bounded: rate <= 2,000 calls/s, seconds <= 900, loopback only.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))
from bench_proc import UNLIMITED_SOURCES, describe_machine, machine_facts, memory_kb, rss_kb, sipp_failed_calls  # noqa: E402
import rss_rules  # noqa: E402
from cluster import Cluster, Sipp, free_port, uas  # noqa: E402

NUMBER = "+15550100"


def heap_kb(cluster):
    """jemalloc's own count of the ingress's heap (callmesh_ingress_heap_bytes): `allocated` is what
    the program holds, `resident` what the allocator keeps in memory. RSS growing while allocated
    stays flat is pages kept, not a leak. Empty when the ingress has no jemalloc (sanitizers)."""
    out = {}
    for kind in ("allocated", "resident"):
        value = cluster.metric("ingress", "callmesh_ingress_heap_bytes", f'kind="{kind}"')
        if value > 0:
            out[f"heap_{kind}_kb"] = value / 1024
    return out


def run(args):
    phone_port = free_port()
    routing = f"""tracking_numbers:
  - number: "{NUMBER}"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{phone_port}"
"""
    # Calls last a few ms, so the live ones are about rate x 20 ms; the cap only must not refuse.
    cluster = Cluster(routing, cap=max(args.rate, 100), ingress_extra=UNLIMITED_SOURCES).start()
    phone = caller = None
    try:
        phone = uas(cluster, "uas_answer_bench.xml", phone_port, "phone")
        time.sleep(0.3)
        ingress = cluster.procs["ingress"].pid
        idle_kb = rss_kb(ingress)  # before any call: what the per-call rule subtracts
        calls = args.rate * args.seconds
        # SIPp's statistics every second: the calls completed by each instant (rss_rules.py)
        stat_file = os.path.join(cluster.dir, "caller-stat.csv")
        caller = Sipp(cluster.dir, "uac_call.xml",
                      ["-s", NUMBER, cluster.sip, "-i", "127.0.0.1", "-p", str(free_port()), "-m", str(calls),
                       "-r", str(args.rate), "-d", "0", "-l", str(max(args.rate * 5, 200)),
                       "-trace_stat", "-stf", stat_file, "-fd", "1"], "caller")
        samples, start = [], time.monotonic()
        deadline = start + args.seconds + 60  # SIPp's calls end a few seconds after the last starts
        while caller.proc.poll() is None and time.monotonic() < deadline:
            t = time.monotonic() - start
            mem = memory_kb(ingress)
            samples.append({"t": round(t, 1), "wall": time.time(), "rss_kb": rss_kb(ingress), "pss_kb": mem["Pss"],
                            "thp_kb": mem["AnonHugePages"], **heap_kb(cluster)})
            if t >= args.seconds:
                break
            time.sleep(max(0.0, args.every - (time.monotonic() - start - t)))
        try:  # the last calls placed end within a second or two
            caller.wait(timeout=15)
        except AssertionError:
            pass  # killed by Sipp.wait: its unfinished calls count as not answered
        answered = caller.count("answered")
        failed = sipp_failed_calls(caller.out_file)
        alive = cluster.procs["ingress"].poll() is None
        rss_rules.add_retained(samples, rss_rules.read_completions(stat_file), idle_kb)
        return samples, idle_kb, {"calls": calls, "answered": answered, "failed": failed, "ingress_alive": alive}
    finally:
        if caller:
            caller.stop()
        if phone:
            phone.stop()
        cluster.cleanup()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rate", type=int, default=200, help="calls per second")
    p.add_argument("--seconds", type=int, default=55, help="how long calls are placed")
    p.add_argument("--warmup", type=float, default=40, help="seconds before the steady window (>= 40)")
    p.add_argument("--every", type=float, default=1.0, help="seconds between samples")
    p.add_argument("--slope-window", type=float, default=120, help="seconds the slope is fitted over")
    p.add_argument("--max-slope-kb-min", type=float, default=1024,
                   help="raw rule's slope limit; the per-call rule's is this over rate x 32 calls")
    p.add_argument("--tolerance", type=float, default=0.05,
                   help="halves' limit, and how far the calls retained may move for the raw rule to decide")
    p.add_argument("--json", help="write the samples and the verdict here")
    args = p.parse_args()
    if not (1 <= args.rate <= 2000 and 1 <= args.seconds <= 900):
        sys.exit("bounded: 1-2,000 calls/s for 1-900 s")
    if args.warmup < 40 or args.warmup >= args.seconds:
        sys.exit("the warm-up must cover sofia's 32 s retention (>= 40 s) and end before the run does")
    args.every = min(max(args.every, 0.2), 30)
    samples, idle_kb, calls = run(args)
    verdict = rss_rules.judge(samples, args)
    problems = list(verdict["problems"])
    if not calls["ingress_alive"]:
        problems.append("the ingress exited during the soak")
    if calls["answered"] < 0.9 * calls["calls"]:
        problems.append(f"only {calls['answered']} of {calls['calls']} calls answered: the ingress was not "
                        f"at {args.rate} calls/s")
    facts = machine_facts()
    report = {"rate": args.rate, "seconds": args.seconds, "warmup": args.warmup, "every": args.every,
              "slope_window": args.slope_window, "machine": facts, **calls,
              "memory": rss_rules.summary(samples, args, idle_kb),
              "rules": {k: v for k, v in verdict.items() if k != "problems"}, "problems": problems}
    print_samples(samples, args, idle_kb, facts)
    print(json.dumps(report, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(report, samples=samples), f, indent=1)
    for line in problems:
        print("FAIL: " + line, file=sys.stderr)
    return 1 if problems else 0


def print_samples(samples, args, idle_kb, facts):
    """Every sample as a table: what a reader needs to see the steps follow the carried rate."""
    print(f"Machine: {describe_machine(facts)}")
    print(f"ingress idle RSS {idle_kb / 1024:.1f} MB; {args.rate} calls/s for {args.seconds} s; "
          f"warm-up {args.warmup:g} s (samples before it marked -)")
    print(f"{'t s':>6} {'RSS MB':>8} {'PSS MB':>8} {'calls in last 32 s':>19} {'calls/s':>8} {'B/call':>8} "
          f"{'heap allocated MB':>18} {'heap resident MB':>17} {'huge pages MB':>14}")
    for s in samples:
        per = "-" if s.get("bytes_per_call") is None else f"{s['bytes_per_call']:.0f}"
        mark = " " if s["t"] >= args.warmup else "-"
        heap = "".join("{:>18}".format("-" if s.get(k) is None else f"{s[k] / 1024:.1f}")
                       for k in ("heap_allocated_kb", "heap_resident_kb"))
        print(f"{s['t']:>6.1f}{mark}{s['rss_kb'] / 1024:>8.1f} {s['pss_kb'] / 1024:>8.1f} "
              f"{s.get('retained', 0):>19.0f} {s.get('retained', 0) / rss_rules.RETENTION_S:>8.0f} {per:>8} {heap}{s.get('thp_kb', 0) / 1024:>15.1f}")


if __name__ == "__main__":
    sys.exit(main())
