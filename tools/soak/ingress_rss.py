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

Judged on the samples after the warm-up (the steady window), RSS and PSS alike:
  (1) slope: the least-squares slope over the last --slope-window seconds of the steady window
      is at most --max-slope-kb-min KB per minute (default 1,024 over 120 s: a leak of 17 bytes
      per call at 1,000 calls/s). A short window needs a looser limit: RSS moves by a few hundred
      KB as jemalloc takes and returns pages, which a 15 s fit reads as ~1.5 MB/min, so the short
      form takes 4,096 (a leak of ~340 bytes per call at 200/s);
  (2) halves: the largest sample of the steady window's second half is at most --tolerance
      (default 5%) above the largest of its first half.
Also: at least 90% of the calls answered (else the ingress was not at the rate and the run
says nothing about it).

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
from bench_proc import machine_facts, memory_kb, sipp_failed_calls  # noqa: E402
from cluster import Cluster, Sipp, free_port, uas  # noqa: E402

NUMBER = "+15550100"
# The ingress's per-source limits would ban the one SIPp source (tools/bench does the same).
UNLIMITED_SOURCES = ("  rate_limit_rps: 1000000\n  rate_limit_burst: 1000000\n"
                     "  new_call_rps: 1000000\n  new_call_burst: 1000000\n")


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def slope_kb_per_min(points):
    """Least-squares slope of [(t seconds, kB)] in kB per minute (0 for fewer than 2 points)."""
    n = len(points)
    if n < 2:
        return 0.0
    mt = sum(t for t, _ in points) / n
    mv = sum(v for _, v in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    return sum((t - mt) * (v - mv) for t, v in points) / var * 60


def judge(samples, args):
    """Problems found in `samples` ([{t, rss_kb, pss_kb}]) by the two rules; [] when flat."""
    problems = []
    steady = [s for s in samples if s["t"] >= args.warmup]
    if len(steady) < 4:
        return [f"only {len(steady)} samples after the {args.warmup} s warm-up: run longer or sample more often"]
    end = steady[-1]["t"]
    for field in ("rss_kb", "pss_kb"):
        window = [(s["t"], s[field]) for s in steady if s["t"] >= end - args.slope_window]
        slope = slope_kb_per_min(window)
        if slope > args.max_slope_kb_min:
            problems.append(f"{field}: slope {slope:.0f} KB/min over the last {args.slope_window} s "
                            f"(limit {args.max_slope_kb_min})")
        half = len(steady) // 2
        first, second = max(s[field] for s in steady[:half]), max(s[field] for s in steady[half:])
        if second > first * (1 + args.tolerance):
            problems.append(f"{field}: second half's peak {second} KB above the first half's {first} KB "
                            f"by more than {args.tolerance:.0%}")
    return problems


def summary(samples, args):
    steady = [s for s in samples if s["t"] >= args.warmup]
    end = steady[-1]["t"] if steady else 0
    out = {}
    for field in ("rss_kb", "pss_kb"):
        window = [(s["t"], s[field]) for s in steady if s["t"] >= end - args.slope_window]
        half = len(steady) // 2
        out[field] = {
            "start": samples[0][field] if samples else 0,
            "at_warmup_end": steady[0][field] if steady else 0,
            "end": samples[-1][field] if samples else 0,
            "min_steady": min((s[field] for s in steady), default=0),
            "max_steady": max((s[field] for s in steady), default=0),
            "first_half_max": max((s[field] for s in steady[:half]), default=0),
            "second_half_max": max((s[field] for s in steady[half:]), default=0),
            "slope_kb_per_min": round(slope_kb_per_min(window), 1),
        }
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
        calls = args.rate * args.seconds
        caller = Sipp(cluster.dir, "uac_call.xml",
                      ["-s", NUMBER, cluster.sip, "-i", "127.0.0.1", "-p", str(free_port()), "-m", str(calls),
                       "-r", str(args.rate), "-d", "0", "-l", str(max(args.rate * 5, 200))], "caller")
        samples, start = [], time.monotonic()
        deadline = start + args.seconds + 60  # SIPp's calls end a few seconds after the last starts
        while caller.proc.poll() is None and time.monotonic() < deadline:
            t = time.monotonic() - start
            mem = memory_kb(ingress)
            samples.append({"t": round(t, 1), "rss_kb": rss_kb(ingress), "pss_kb": mem["Pss"]})
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
        return samples, {"calls": calls, "answered": answered, "failed": failed, "ingress_alive": alive}
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
    p.add_argument("--max-slope-kb-min", type=float, default=1024)
    p.add_argument("--tolerance", type=float, default=0.05)
    p.add_argument("--json", help="write the samples and the verdict here")
    args = p.parse_args()
    if not (1 <= args.rate <= 2000 and 1 <= args.seconds <= 900):
        sys.exit("bounded: 1-2,000 calls/s for 1-900 s")
    if args.warmup < 40 or args.warmup >= args.seconds:
        sys.exit("the warm-up must cover sofia's 32 s retention (>= 40 s) and end before the run does")
    args.every = min(max(args.every, 0.2), 30)
    samples, calls = run(args)
    problems = judge(samples, args)
    if not calls["ingress_alive"]:
        problems.append("the ingress exited during the soak")
    if calls["answered"] < 0.9 * calls["calls"]:
        problems.append(f"only {calls['answered']} of {calls['calls']} calls answered: the ingress was not "
                        f"at {args.rate} calls/s")
    report = {"rate": args.rate, "seconds": args.seconds, "warmup": args.warmup, "every": args.every,
              "machine": machine_facts(), **calls, "memory": summary(samples, args), "problems": problems}
    print(json.dumps(report, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(report, samples=samples), f, indent=1)
    for line in problems:
        print("FAIL: " + line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
