#!/usr/bin/env python3
"""A/B two callmesh builds in one run (a benchmark, not a test): is a change cheaper per call?

Starts one private cluster per build directory (each its own redis-server and five services,
tests/e2e/cluster.py, the settings tools/bench/compare_kamailio.py gives callmesh) and one SIPp
phone, then sends the same SIPp load to each in turn, A B A B ..., so the box's drift (other
builds, other benches) falls on both alike. For each run and each process it reads from /proc:
CPU ms per call (each thread's run time, schedstat ns: tools/bench/proc_cpu.py), context switches
per call (every thread, voluntary and not), and minor page faults per call; and the box's CPU per
call (every task of the box less SIPp's and the idle other build's: tools/bench/box_cpu.py); then
the median of the runs per build and the B/A ratios.

  tools/bench/ab_cluster.py --a /tmp/base-build --b build --workload one --rate 500 --seconds 15
  tools/bench/ab_cluster.py --a build --b build --runs 3     # A/A: the noise floor
  tools/bench/ab_cluster.py --a build --b build --b-ingress 'acquire_gather_ms: 8'   # a setting
  tools/bench/ab_cluster.py --a build --b build --b-env MALLOC_CONF=thp:always          # an environment
  tools/bench/ab_cluster.py --a build --b build --workload many --b-router 'decision_reuse_ms: 60000' 

Bounded: <= 7 runs per build, <= 60 s per run, <= 3,000 calls/s; loopback only; every process it
started is stopped by pid.
"""

import argparse
import glob
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import cluster as cluster_module  # noqa: E402
from cluster import Cluster, Sipp, free_port, uas  # noqa: E402
from bench_proc import UNLIMITED_SOURCES, context_switches, cpu_seconds, median, sipp_failed_calls  # noqa: E402
from box_cpu import BoxWindow, box_less  # noqa: E402
from compare_kamailio import Workload  # noqa: E402
from syscall_count import SyscallCounter  # noqa: E402


def minor_faults(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[7])
    except OSError:
        return 0


def ingress_keys(text):
    """'k: v, k2: v2' -> the lines Cluster's ingress_extra takes."""
    return "".join(f"  {kv.strip()}\n" for kv in text.split(",") if kv.strip())


def snapshot(pids):
    return {n: (cpu_seconds(p), context_switches(p), minor_faults(p)) for n, p in pids.items()}


class Side:
    """One build's cluster, started from `build_dir`."""

    def __init__(self, name, build_dir, workload, phone_port, ingress_extra="", env=None, router_extra=""):
        self.name = name
        cluster_module.BUILD_DIR = os.path.abspath(build_dir)
        # The side's processes inherit the environment while they start (A/B an allocator
        # setting, MALLOC_CONF or LD_PRELOAD), then it is put back for the other side.
        saved = {k: os.environ.get(k) for k in (env or {})}
        os.environ.update(env or {})
        try:
            self.cluster = Cluster(workload.routing(phone_port), cap=50,
                                   ingress_extra=UNLIMITED_SOURCES + ingress_extra,
                                   router_extra=router_extra).start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def pids(self):
        return {n: p.pid for n, p in self.cluster.procs.items()}


def run_once(side, workload, rate, seconds, workdir, phone, peers, syscalls=False):
    calls = rate * seconds
    pids = side.pids()
    counter = SyscallCounter(pids).start() if syscalls else None
    before = snapshot(pids)
    window = BoxWindow()
    scenario, dial = workload.sipp_args(workdir)
    caller = Sipp(workdir, scenario, dial + [side.cluster.sip, "-i", "127.0.0.1", "-p", str(free_port()),
                                             "-m", str(calls), "-r", str(rate), "-d", str(workload.hold_ms),
                                             "-l", str(max(rate * 5, 200))], f"{side.name}-caller")
    try:
        caller.wait(timeout=seconds + 30)
    except AssertionError:
        pass
    time.sleep(0.5)
    after = snapshot(pids)
    counted = counter.stop() if counter else {}
    box = window.finish({"system": set(pids.values()), "generators": {phone.proc.pid},
                         "peer": set(peers) - set(pids.values())})
    at_cap = caller.count("busy")  # 486: the number was at its cap (as compare_kamailio.py counts)
    ok = max(min(caller.count("answered"), calls - sipp_failed_calls(caller.out_file)), 0)
    per = max(ok, 1)
    procs = {n: tuple((after[n][i] - before[n][i]) / per for i in range(3)) for n in pids}
    row = {"ok": ok, "failed": calls - ok, "at_cap": at_cap,
           "cpu": sum(v[0] for v in procs.values()) * 1000,
           "switches": sum(v[1] for v in procs.values()),
           "faults": sum(v[2] for v in procs.values()),
           # every task of the box but SIPp's and the idle other build's (tools/bench/box_cpu.py)
           "box": box_less(box, ("generators", "peer")) * 1000 / per,
           "kernel": box["kernel"] * 1000 / per, "other": box["other"] * 1000 / per,
           "procs": {n: (v[0] * 1000, v[1], v[2]) for n, v in procs.items()},
           "syscalls": {n: c / per for n, c in counted.items() if c is not None}}
    detail = "  ".join(f"{n} {v[0]:.3f}/{v[1]:.1f}/{v[2]:.1f}" for n, v in sorted(row["procs"].items()))
    print(f"  {side.name} ok {ok} failed {row['failed']} (486 at the cap {row['at_cap']}): {row['cpu']:.3f} ms/call (box {row['box']:.3f}: "
          f"kernel threads {row['kernel']:.3f}, other {row['other']:.3f}), "
          f"{row['switches']:.2f} switches/call, {row['faults']:.2f} faults/call  [{detail}]", flush=True)
    if row["syscalls"]:
        print(f"    system calls per call: {sum(row['syscalls'].values()):.1f} ("
              + ", ".join(f"{n} {v:.1f}" for n, v in sorted(row["syscalls"].items())) + ")", flush=True)
    for f in glob.glob(os.path.join(workdir, f"{side.name}-caller*")):
        os.remove(f)
    return row


def env_of(pairs):
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--a-env/--b-env takes KEY=VALUE, not {pair!r}")
        env[key] = value
    return env


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", required=True, help="build directory A (the unchanged code)")
    ap.add_argument("--b", required=True, help="build directory B (the change)")
    ap.add_argument("--a-ingress", default="", metavar="YAML",
                    help="more `ingress:` keys for A, e.g. 'acquire_gather_ms: 0' (A/B a setting)")
    ap.add_argument("--b-ingress", default="", metavar="YAML", help="the same for B")
    ap.add_argument("--a-router", default="", metavar="YAML",
                    help="extra router: keys for A, 'k: v, k2: v2' (e.g. 'decision_reuse_ms: 60000')")
    ap.add_argument("--b-router", default="", metavar="YAML", help="the same for B")
    ap.add_argument("--a-env", action="append", default=[], metavar="KEY=VALUE",
                    help="an environment variable for A's processes (Redis included), e.g. MALLOC_CONF=thp:always")
    ap.add_argument("--b-env", action="append", default=[], metavar="KEY=VALUE", help="the same for B")
    ap.add_argument("--workload", choices=["one", "many"], default="one")
    ap.add_argument("--syscalls", action="store_true",
                    help="also count each process's system calls per call (perf; it adds its own cost, "
                         "so compare CPU from runs without it)")
    ap.add_argument("--rate", type=int, default=500)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--runs", type=int, default=3, help="measured runs per build, after one warm-up each")
    args = ap.parse_args()
    runs, seconds, rate = min(max(args.runs, 1), 7), min(max(args.seconds, 1), 60), min(args.rate, 3000)
    workload = Workload("one", 1, 0) if args.workload == "one" else Workload("many", 1000, 100)
    phone_port = free_port()
    sides, phone = [], None
    try:
        sides = [Side("A", args.a, workload, phone_port, ingress_keys(args.a_ingress), env_of(args.a_env),
                      ingress_keys(args.a_router)),
                 Side("B", args.b, workload, phone_port, ingress_keys(args.b_ingress), env_of(args.b_env),
                      ingress_keys(args.b_router))]
        phone = uas(sides[0].cluster, "uas_answer_bench.xml", phone_port, "phone")
        workdir = sides[0].cluster.dir
        rows = {s.name: [] for s in sides}
        for i in range(runs + 1):
            for s in sides:
                peers = {p for o in sides if o is not s for p in o.pids().values()}
                row = run_once(s, workload, rate, seconds, workdir, phone, peers, args.syscalls)
                if i > 0:
                    rows[s.name].append(row)
        print(f"== {args.workload} at {rate}/s, {runs} runs of {seconds} s each, medians (warm-up dropped)")
        med = {}
        for name, rs in rows.items():
            med[name] = {k: median([r[k] for r in rs]) for k in ("cpu", "box", "switches", "faults")}
            if rs[0]["syscalls"]:
                calls_by = {p: median([r["syscalls"].get(p, 0) for r in rs]) for p in rs[0]["syscalls"]}
                print(f"  {name}: system calls per call {sum(calls_by.values()):.1f} ("
                      + ", ".join(f"{p} {v:.1f}" for p, v in sorted(calls_by.items())) + ")")
            procs = {p: median([r["procs"][p][0] for r in rs]) for p in rs[0]["procs"]}
            each = ", ".join("%.3f" % r["cpu"] for r in rs)
            print(f"  {name}: {med[name]['cpu']:.3f} ms/call (runs {each}), box {med[name]['box']:.3f}, "
                  f"{med[name]['switches']:.2f} switches/call, {med[name]['faults']:.2f} faults/call; "
                  + ", ".join(f"{p} {v:.3f}" for p, v in sorted(procs.items())))
        print(f"  B/A: CPU {med['B']['cpu'] / med['A']['cpu']:.3f}x, box {med['B']['box'] / med['A']['box']:.3f}x, switches "
              f"{med['B']['switches'] / max(med['A']['switches'], 1e-9):.3f}x")
    finally:
        if phone:
            phone.stop()
        for s in sides:
            s.cluster.cleanup()


if __name__ == "__main__":
    main()
