#!/usr/bin/env python3
"""What an idle callmesh cluster costs: CPU, wakeups and Redis commands per second (a benchmark).

Starts a private cluster (tests/e2e/cluster.py: redis-server and the five services, the routing
of tools/bench/compare_kamailio.py's `one` workload), lets it settle, then for --seconds reads
each process's CPU (every thread's schedstat run time, tools/bench/proc_cpu.py) and context
switches (every thread's, voluntary and not), each thread's wakeups by name, and Redis's commands
by name (INFO commandstats). Nothing calls it meanwhile.

Why it matters under load too: a periodic wakeup costs the same whether calls come or not (a
hypervisor trap per wakeup on a paravirtualised guest), and at 500 calls/s every 10 ms/s of idle
CPU is 0.02 ms per call in issue 22's comparison (docs/bench/kamailio.md, "Idle").

  CALLMESH_BUILD_DIR=build tools/bench/idle_cluster.py --seconds 20
  tools/bench/idle_cluster.py --a /tmp/base-build --b build      # two builds, one after the other
  tools/bench/idle_cluster.py --seconds 5 --check               # the short form (ctest e2e_idle_cluster)

--check fails (exit 1) on what does not depend on the machine's speed: a SCRIPT LOAD while idle
(a client that forgets its scripts' SHAs and loads them on every poll), or more Redis commands a
second than --max-redis-commands-s (timers that poll Redis too often; 103/s before the idle work
of 2026-12-07, about 30 after).

Bounded: at most 120 s per build; loopback only; every process it started is stopped by pid.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
sys.path.insert(0, HERE)

import cluster as cluster_module  # noqa: E402
from cluster import Cluster, free_port  # noqa: E402
from bench_proc import describe_machine, machine_facts, thread_switches  # noqa: E402
from compare_kamailio import Workload  # noqa: E402
from proc_cpu import cpu_seconds  # noqa: E402


def command_calls(cluster):
    """{Redis command: calls so far}, from INFO commandstats."""
    out = {}
    for line in cluster.redis("INFO", "commandstats").splitlines():
        if not line.startswith("cmdstat_"):
            continue
        name, _, fields = line[len("cmdstat_"):].partition(":")
        for field in fields.split(","):
            key, _, value = field.partition("=")
            if key == "calls":
                out[name] = int(value)
    return out


def measure(build_dir, seconds, settle):
    cluster_module.BUILD_DIR = os.path.abspath(build_dir)
    cluster = Cluster(Workload("one", 1, 0).routing(free_port()), cap=50).start()
    try:
        time.sleep(settle)
        pids = {n: p.pid for n, p in cluster.procs.items()}
        before = {n: (cpu_seconds(p), thread_switches(p)) for n, p in pids.items()}
        commands_before = command_calls(cluster)
        time.sleep(seconds)
        commands = {k: v - commands_before.get(k, 0) for k, v in command_calls(cluster).items()}
        # The INFO calls above are this tool's own.
        commands["info"] = commands.get("info", 0) - 1
        rows = {}
        for n, p in pids.items():
            cpu, threads = cpu_seconds(p), thread_switches(p)
            per_thread = {t: (v - before[n][1].get(t, 0)) / seconds for t, v in threads.items()}
            rows[n] = {"cpu_ms_s": (cpu - before[n][0]) * 1000 / seconds,
                       "switches_s": sum(per_thread.values()), "threads": per_thread}
        return rows, {k: v / seconds for k, v in commands.items() if v > 0}
    finally:
        cluster.cleanup()


def report(name, rows, commands):
    total_cpu = sum(r["cpu_ms_s"] for r in rows.values())
    total_sw = sum(r["switches_s"] for r in rows.values())
    print(f"== {name}: {total_cpu:.2f} ms of CPU per second idle, {total_sw:.0f} context switches/s "
          f"(at 500 calls/s that is {total_cpu / 500:.3f} ms per call)")
    for n, r in sorted(rows.items(), key=lambda kv: -kv[1]["cpu_ms_s"]):
        busiest = ", ".join(f"{t} {v:.0f}/s" for t, v in sorted(r["threads"].items(), key=lambda kv: -kv[1])[:4]
                            if v >= 1)
        print(f"  {n:20s} {r['cpu_ms_s']:6.2f} ms/s  {r['switches_s']:6.1f} switches/s  ({busiest})")
    print("  redis commands/s: " + (", ".join(f"{k} {v:.1f}" for k, v in sorted(commands.items(), key=lambda kv: -kv[1]))
                                    or "none"))
    return total_cpu


def check(label, commands, max_commands_s):
    """What --check refuses in one build's idle figures."""
    problems = []
    if commands.get("script|load", 0) > 0:
        problems.append(f"{label}: {commands['script|load']:.1f} SCRIPT LOAD/s while idle")
    total = sum(commands.values())
    if total > max_commands_s:
        problems.append(f"{label}: {total:.1f} Redis commands/s while idle, more than {max_commands_s:.0f}")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", default=os.environ.get("CALLMESH_BUILD_DIR", os.path.join(HERE, "..", "..", "build")),
                    help="build directory (the one measured, or A of two)")
    ap.add_argument("--b", default="", help="a second build directory, measured after A")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--settle", type=float, default=5.0, help="seconds after start before measuring")
    ap.add_argument("--check", action="store_true", help="exit 1 when the idle cluster breaks the limits")
    ap.add_argument("--max-redis-commands-s", type=float, default=60.0)
    args = ap.parse_args()
    seconds = min(max(args.seconds, 1), 120)
    print(describe_machine(machine_facts()))
    totals, problems = {}, []
    for label, build in (("A", args.a), ("B", args.b)):
        if build:
            rows, commands = measure(build, seconds, min(max(args.settle, 0), 60))
            totals[label] = report(f"{label} ({build})", rows, commands)
            problems += check(label, commands, args.max_redis_commands_s)
    if len(totals) == 2 and totals["A"] > 0:
        print(f"B/A idle CPU: {totals['B'] / totals['A']:.2f}x")
    if args.check and problems:
        print("FAILED: " + "; ".join(problems))
        sys.exit(1)


if __name__ == "__main__":
    main()
